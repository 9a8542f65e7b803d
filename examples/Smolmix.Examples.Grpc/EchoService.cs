using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace Smolmix.Echo;

/// <summary>The server side of echo.proto (also compiled into tests/Smolmix.Http.Tests).</summary>
public sealed class EchoService : Echo.EchoBase
{
    /// <inheritdoc />
    public override Task<EchoReply> Unary(EchoRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        return Task.FromResult(new EchoReply { Text = request.Text, Number = request.Number, Payload = request.Payload, Protocol = Protocol(context) });
    }

    /// <inheritdoc />
    public override async Task ServerStream(StreamRequest request, IServerStreamWriter<EchoReply> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        for (int i = 0; i < request.Count; i++)
        {
            await responseStream.WriteAsync(new EchoReply { Text = request.Text, Number = i }, context.CancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public override async Task<SumReply> ClientStream(IAsyncStreamReader<EchoRequest> requestStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(context);
        var reply = new SumReply();
        await foreach (EchoRequest request in requestStream.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
        {
            reply.Sum += request.Number;
            reply.Count++;
        }

        return reply;
    }

    /// <inheritdoc />
    public override async Task Bidi(IAsyncStreamReader<EchoRequest> requestStream, IServerStreamWriter<EchoReply> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        await foreach (EchoRequest request in requestStream.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
        {
            await responseStream.WriteAsync(new EchoReply { Text = request.Text, Number = request.Number, Payload = request.Payload }, context.CancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public override async Task<EchoReply> Slow(SlowRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        await Task.Delay(TimeSpan.FromMilliseconds(request.DelayMs), context.CancellationToken).ConfigureAwait(false);
        return new EchoReply { Text = "slow", Number = request.DelayMs, Protocol = Protocol(context) };
    }

    private static string Protocol(ServerCallContext context)
    {
        HttpRequest http = context.GetHttpContext().Request;
        return $"{http.Protocol} via {http.Scheme}";
    }
}
