using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Smolmix.Echo;

namespace Smolmix.Http.Tests.Grpc;

/// <summary>
/// A <see cref="GrpcChannel"/> whose HttpHandler is a SmolmixHandler, through a Devnet to a Kestrel
/// gRPC service: over https (HTTP/2 by ALPN) and h2c (gRPC asks for HTTP/2 exactly by itself).
/// </summary>
public sealed class GrpcChannelTests(GrpcRig fixture) : IClassFixture<GrpcRig>
{
    private const int Messages = 1000;
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    public static TheoryData<string> Transports => new() { "https", "h2c" };

    private GrpcChannel Channel(string transport) =>
        GrpcChannel.ForAddress(fixture.Base(transport), new GrpcChannelOptions { HttpHandler = fixture.Rig.Handler(), DisposeHttpClient = true });

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Unary(string transport)
    {
        using var cts = new CancellationTokenSource(Limit);
        using GrpcChannel channel = Channel(transport);
        var client = new Echo.Echo.EchoClient(channel);
        byte[] payload = [1, 2, 3, 0, 255];

        EchoReply reply = await client.UnaryAsync(new EchoRequest { Text = "hello", Number = 42, Payload = ByteString.CopyFrom(payload) }, cancellationToken: cts.Token);

        Assert.Equal("hello", reply.Text);
        Assert.Equal(42, reply.Number);
        Assert.Equal(payload, reply.Payload.ToByteArray());
        Assert.Equal(transport == "https" ? "HTTP/2 via https" : "HTTP/2 via http", reply.Protocol);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_server_stream_of_1000_messages_arrives_in_order(string transport)
    {
        using var cts = new CancellationTokenSource(Limit);
        using GrpcChannel channel = Channel(transport);
        var client = new Echo.Echo.EchoClient(channel);

        using AsyncServerStreamingCall<EchoReply> call = client.ServerStream(new StreamRequest { Text = "s", Count = Messages }, cancellationToken: cts.Token);
        long expected = 0;
        await foreach (EchoReply reply in call.ResponseStream.ReadAllAsync(cts.Token))
        {
            Assert.Equal(expected++, reply.Number);
            Assert.Equal("s", reply.Text);
        }

        Assert.Equal(Messages, expected);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_client_stream_is_summed(string transport)
    {
        using var cts = new CancellationTokenSource(Limit);
        using GrpcChannel channel = Channel(transport);
        var client = new Echo.Echo.EchoClient(channel);

        using AsyncClientStreamingCall<EchoRequest, SumReply> call = client.ClientStream(cancellationToken: cts.Token);
        for (int i = 1; i <= Messages; i++)
        {
            await call.RequestStream.WriteAsync(new EchoRequest { Number = i }, cts.Token);
        }

        await call.RequestStream.CompleteAsync();
        SumReply sum = await call;

        Assert.Equal(Messages, sum.Count);
        Assert.Equal(Messages * (Messages + 1L) / 2, sum.Sum);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_bidirectional_stream_echoes_1000_messages_in_order(string transport)
    {
        using var cts = new CancellationTokenSource(Limit);
        using GrpcChannel channel = Channel(transport);
        var client = new Echo.Echo.EchoClient(channel);
        using AsyncDuplexStreamingCall<EchoRequest, EchoReply> call = client.Bidi(cancellationToken: cts.Token);

        Task<int> reading = Task.Run(async () =>
        {
            int n = 0;
            await foreach (EchoReply reply in call.ResponseStream.ReadAllAsync(cts.Token))
            {
                Assert.Equal(n, reply.Number);
                Assert.Equal($"m{n}", reply.Text);
                Assert.Equal(Payload(n), reply.Payload.ToByteArray());
                n++;
            }

            return n;
        });
        for (int i = 0; i < Messages; i++)
        {
            await call.RequestStream.WriteAsync(new EchoRequest { Text = $"m{i}", Number = i, Payload = ByteString.CopyFrom(Payload(i)) }, cts.Token);
        }

        await call.RequestStream.CompleteAsync();

        Assert.Equal(Messages, await reading.WaitAsync(cts.Token));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_deadline_shorter_than_the_call_is_DeadlineExceeded(string transport)
    {
        using var cts = new CancellationTokenSource(Limit);
        using GrpcChannel channel = Channel(transport);
        var client = new Echo.Echo.EchoClient(channel);
        await client.UnaryAsync(new EchoRequest { Text = "warm" }, cancellationToken: cts.Token); // the connection is up

        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.SlowAsync(new SlowRequest { DelayMs = 30_000 }, deadline: DateTime.UtcNow.AddMilliseconds(500), cancellationToken: cts.Token));

        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
        EchoReply after = await client.SlowAsync(new SlowRequest { DelayMs = 10 }, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cts.Token);
        Assert.Equal("slow", after.Text);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Cancelling_a_call_is_Cancelled_and_the_channel_still_works(string transport)
    {
        using var cts = new CancellationTokenSource(Limit);
        using GrpcChannel channel = Channel(transport);
        var client = new Echo.Echo.EchoClient(channel);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);

        Task<EchoReply> slow = client.SlowAsync(new SlowRequest { DelayMs = 30_000 }, cancellationToken: cancel.Token).ResponseAsync;
        await Task.Delay(300, cts.Token);
        await cancel.CancelAsync();
        var ex = await Assert.ThrowsAsync<RpcException>(() => slow.WaitAsync(cts.Token));
        Assert.Equal(StatusCode.Cancelled, ex.StatusCode);

        EchoReply reply = await client.UnaryAsync(new EchoRequest { Text = "after", Number = 7 }, cancellationToken: cts.Token);
        Assert.Equal("after", reply.Text);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Cancelling_a_server_stream_midway_is_Cancelled_and_the_channel_still_works(string transport)
    {
        using var cts = new CancellationTokenSource(Limit);
        using GrpcChannel channel = Channel(transport);
        var client = new Echo.Echo.EchoClient(channel);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);

        using AsyncServerStreamingCall<EchoReply> call = client.ServerStream(new StreamRequest { Text = "s", Count = 1_000_000 }, cancellationToken: cancel.Token);
        int read = 0;
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (EchoReply reply in call.ResponseStream.ReadAllAsync(cts.Token))
            {
                Assert.Equal(read++, reply.Number);
                if (read == 100)
                {
                    await cancel.CancelAsync();
                }
            }
        });

        Assert.Equal(StatusCode.Cancelled, ex.StatusCode);
        Assert.True(read >= 100);
        SumReply sum = await SumAsync(client, [1, 2, 3], cts.Token);
        Assert.Equal(6, sum.Sum);
    }

    private static async Task<SumReply> SumAsync(Echo.Echo.EchoClient client, long[] numbers, CancellationToken cancellationToken)
    {
        using AsyncClientStreamingCall<EchoRequest, SumReply> call = client.ClientStream(cancellationToken: cancellationToken);
        foreach (long n in numbers)
        {
            await call.RequestStream.WriteAsync(new EchoRequest { Number = n }, cancellationToken);
        }

        await call.RequestStream.CompleteAsync();
        return await call;
    }

    private static byte[] Payload(int i) => [(byte)i, (byte)(i >> 8), 0, 0xFF, (byte)(i * 7)];
}
