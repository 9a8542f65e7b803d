using System.Threading.Channels;
using Smolmix.Devices;
using Smolmix.Nym;

namespace Smolmix.Devnet.Tests.Support;

/// <summary>
/// A minimal client-side bridge for tests (not the product's IprSession): an <see cref="IPacketDevice"/>
/// that connects to the exit through a <see cref="NymClientConnection"/>, sends every IP packet the
/// stack writes as its own LP-framed data request (one packet per bundle, like smolmix), and unbundles
/// data responses for the stack to read. Control replies go to <see cref="Control"/>.
/// </summary>
internal sealed class IprTunnelDevice : IPacketDevice
{
    private readonly NymClientConnection _connection;
    private readonly NymAddress _exit;
    private readonly ulong? _stream;
    private readonly Channel<byte[]> _packets = Channel.CreateUnbounded<byte[]>();
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private Task _pump = Task.CompletedTask;
    private uint _nextSequence = 1;

    private IprTunnelDevice(NymClientConnection connection, NymAddress exit, byte version, ulong? stream, uint surbs, IprConnectSuccess connected)
    {
        _connection = connection;
        _exit = exit;
        Version = version;
        _stream = stream;
        Surbs = surbs;
        Connected = connected;
        Mtu = connected.Mtu ?? 1420;
    }

    public byte Version { get; }

    public uint Surbs { get; set; }

    public IprConnectSuccess Connected { get; }

    public int Mtu { get; }

    /// <summary>Control responses (pong, info, …) received after the connect.</summary>
    public Channel<IprEnvelope<IprResponse>> Control { get; } = Channel.CreateUnbounded<IprEnvelope<IprResponse>>();

    /// <summary>The LP sequence numbers of data responses, in arrival order.</summary>
    public List<uint> DataSequences { get; } = [];

    public long PacketsSent { get; private set; }

    public long PacketsReceived { get; private set; }

    public static async Task<IprTunnelDevice> ConnectAsync(NymClientConnection connection, NymAddress exit, byte version = IprVersion.V9, uint surbs = 10, ulong? bufferTimeoutMs = null, CancellationToken cancellationToken = default)
    {
        ulong? stream = IprVersion.RequiresStreamFraming(version) ? (ulong)Random.Shared.NextInt64() : null;
        ulong requestId = (ulong)Random.Shared.NextInt64();
        byte[] connect = new IprConnectRequest(version, requestId, bufferTimeoutMs, NymTimestamp.UtcNow(TimeProvider.System)).ToArray();
        if (stream is { } id)
        {
            await connection.SendAnonymousAsync(exit, new LpFrame(id, LpMessageType.Open, 0, ReadOnlyMemory<byte>.Empty).ToArray(), surbs, 0, cancellationToken);
        }

        await connection.SendAnonymousAsync(exit, IprMessageReader.Frame(connect, stream, 0), surbs, 0, cancellationToken);
        while (true)
        {
            NymClientResponse.Received received = await connection.Received.ReadAsync(cancellationToken);
            if (IprMessageReader.TryReadResponse(received.Message, out IprEnvelope<IprResponse> envelope)
                && envelope.Message is IprConnectSuccess success && success.Id == requestId)
            {
                var device = new IprTunnelDevice(connection, exit, version, stream, surbs, success);
                device._pump = device.PumpAsync();
                return device;
            }
        }
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> packet, CancellationToken cancellationToken = default)
    {
        byte[] request = new IprDataRequest(Version, PacketBundle.EncodeOne(packet.Span)).ToArray();
        uint sequence;
        lock (_gate)
        {
            sequence = _stream.HasValue ? _nextSequence++ : 0;
            PacketsSent++;
        }

        await _connection.SendAnonymousAsync(_exit, IprMessageReader.Frame(request, _stream, sequence), Surbs, 0, cancellationToken);
    }

    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            byte[] packet = await _packets.Reader.ReadAsync(cancellationToken);
            packet.AsSpan(0, Math.Min(packet.Length, buffer.Length)).CopyTo(buffer.Span);
            return Math.Min(packet.Length, buffer.Length);
        }
        catch (ChannelClosedException)
        {
            return 0;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _packets.Writer.TryComplete();
        try
        {
            await _pump.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task PumpAsync()
    {
        try
        {
            await foreach (NymClientResponse.Received received in _connection.Received.ReadAllAsync(_stop.Token))
            {
                if (!IprMessageReader.TryReadResponse(received.Message, out IprEnvelope<IprResponse> envelope) || envelope.Message.Version != Version)
                {
                    continue;
                }

                if (envelope.Message is IprDataResponse data)
                {
                    lock (_gate)
                    {
                        DataSequences.Add(envelope.Sequence);
                    }

                    foreach (ReadOnlyMemory<byte> packet in PacketBundle.Decode(data.Bundle))
                    {
                        lock (_gate)
                        {
                            PacketsReceived++;
                        }

                        _packets.Writer.TryWrite(packet.ToArray());
                    }
                }
                else
                {
                    Control.Writer.TryWrite(envelope);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
