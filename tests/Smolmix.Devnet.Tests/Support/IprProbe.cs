using System.Threading.Channels;
using Smolmix.Nym;

namespace Smolmix.Devnet.Tests.Support;

/// <summary>
/// Talks to the Devnet exit at the byte level through a <see cref="NymClientConnection"/>: sends
/// raw, LP-framed or plain (non-anonymous) messages and reads the raw replies.
/// </summary>
internal sealed class IprProbe : IAsyncDisposable
{
    private IprProbe(NymClientConnection connection, NymAddress exit)
    {
        Connection = connection;
        Exit = exit;
    }

    public NymClientConnection Connection { get; }

    public NymAddress Exit { get; }

    public ulong StreamId { get; set; } = 0x0123456789abcdef;

    public uint Surbs { get; set; } = 20;

    public static async Task<IprProbe> ConnectAsync(Devnet devnet)
        => new(await TestDevnet.ConnectAsync(devnet), TestDevnet.Exit(devnet));

    public static byte[] Framed(ulong streamId, uint sequence, ReadOnlySpan<byte> payload, LpMessageType type = LpMessageType.Data)
    {
        var bytes = new byte[LpFrame.HeaderLength + payload.Length];
        LpFrame.WriteHeader(bytes, streamId, type, sequence);
        payload.CopyTo(bytes.AsSpan(LpFrame.HeaderLength));
        return bytes;
    }

    public ValueTask SendRawAsync(ReadOnlyMemory<byte> message) => Connection.SendAnonymousAsync(Exit, message, Surbs);

    public ValueTask SendFramedAsync(ReadOnlySpan<byte> payload, uint sequence = 0) => SendRawAsync(Framed(StreamId, sequence, payload));

    /// <summary>Sends an IPR request the way its version must travel (v8 raw, v9+ framed).</summary>
    public ValueTask SendAsync(IprRequest request, uint sequence = 0)
        => IprVersion.RequiresStreamFraming(request.Version) ? SendFramedAsync(request.ToArray(), sequence) : SendRawAsync(request.ToArray());

    public async Task<byte[]> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TestDevnet.Timeout);
        NymClientResponse.Received received = await Connection.Received.ReadAsync(cts.Token);
        Assert.Null(received.SenderTag);
        return received.Message.ToArray();
    }

    public async Task<IprEnvelope<IprResponse>> ReceiveResponseAsync(TimeSpan? timeout = null)
    {
        byte[] message = await ReceiveAsync(timeout);
        Assert.True(IprMessageReader.TryReadResponse(message, out IprEnvelope<IprResponse> envelope));
        return envelope;
    }

    /// <summary>Sends a ping and returns the first message received afterwards, which must be its pong.</summary>
    public async Task AssertNextIsPongAsync(byte version = IprVersion.V9, ulong id = 4242)
    {
        await SendAsync(new IprPingRequest(version, id, Hex.Timestamp));
        IprEnvelope<IprResponse> envelope = await ReceiveResponseAsync();
        IprPongResponse pong = Assert.IsType<IprPongResponse>(envelope.Message);
        Assert.Equal(id, pong.Id);
    }

    /// <summary>True when nothing arrives within <paramref name="wait"/>.</summary>
    public async Task AssertNothingAsync(TimeSpan wait)
    {
        using var cts = new CancellationTokenSource(wait);
        try
        {
            await Connection.Received.WaitToReadAsync(cts.Token);
            Assert.False(Connection.Received.TryPeek(out NymClientResponse.Received? unexpected), $"Unexpected message: {(unexpected is null ? string.Empty : Hex.Of(unexpected.Message.Span))}");
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async Task<IprConnectSuccess> ConnectAsync(byte version = IprVersion.V9, ulong id = 123, ulong? bufferTimeout = null)
    {
        await SendAsync(new IprConnectRequest(version, id, bufferTimeout, Hex.Timestamp));
        IprEnvelope<IprResponse> envelope = await ReceiveResponseAsync();
        return Assert.IsType<IprConnectSuccess>(envelope.Message);
    }

    public ValueTask DisposeAsync() => Connection.DisposeAsync();
}
