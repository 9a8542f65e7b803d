using System.Buffers;
using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Smolmix.Devices;
using Smolmix.Nym;

namespace Smolmix.Bridge;

/// <summary>
/// The packet device between a <see cref="NetStack"/> and the exit sessions of a tunnel.
/// Outgoing packets wait in a bounded queue (a full queue makes <see cref="WriteAsync"/> wait, and
/// so holds TCP back) and leave in bundles: one data message takes queued packets until it fills
/// <see cref="BundlingOptions.MaxSphinxPacketsPerMessage"/> Sphinx payloads or
/// <see cref="BundlingOptions.FlushDelay"/> has passed since its first packet, and carries the
/// reply SURBs the session's <see cref="SurbPolicy"/> asks for. Incoming bundles were already split
/// by the session; their packets are handed to <see cref="ReadAsync"/>, except the exit's answers to
/// keepalives. Sessions come and go (<see cref="Attach"/>, <see cref="Detach"/>); while none is
/// attached outgoing packets are dropped (TCP retransmits them).
/// </summary>
internal sealed class NymBridgeDevice : IPacketDevice
{
    private const int IncomingCapacity = 4096;

    /// <summary>A bare IPv4 header: when not even this fits any more, the message leaves without waiting.</summary>
    private const int SmallestPacket = 20;

    private readonly BundlingOptions _options;
    private readonly TunnelMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<(byte[] Buffer, int Length)> _outgoing;
    private readonly Channel<ReadOnlyMemory<byte>> _incoming;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly Lock _gate = new();
    private readonly ushort _echoIdentifier;
    private readonly Task _sender;
    private IBridgeTransport? _transport;
    private CancellationTokenSource? _receiveStop;
    private Task _receiver = Task.CompletedTask;
    private int _echoSequence;
    private int _disposed;

    public NymBridgeDevice(int mtu, BundlingOptions options, TunnelMetrics metrics, TimeProvider time, ILogger logger)
    {
        Mtu = mtu;
        _options = options;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _echoIdentifier = (ushort)RandomNumberGenerator.GetInt32(1, 65536);
        _outgoing = Channel.CreateBounded<(byte[], int)>(new BoundedChannelOptions(options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        _incoming = Channel.CreateBounded<ReadOnlyMemory<byte>>(new BoundedChannelOptions(IncomingCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = true,
        });
        _sender = Task.Run(SendLoopAsync);
    }

    /// <inheritdoc/>
    public int Mtu { get; }

    /// <summary>The session currently carrying traffic, if any.</summary>
    public IBridgeTransport? Transport
    {
        get
        {
            lock (_gate)
            {
                return _transport;
            }
        }
    }

    /// <summary>Makes <paramref name="transport"/> carry the traffic from now on (replacing any other).</summary>
    public void Attach(IBridgeTransport transport)
    {
        ArgumentNullException.ThrowIfNull(transport);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            _receiveStop?.Cancel();
            _receiveStop = CancellationTokenSource.CreateLinkedTokenSource(_lifetime.Token);
            _transport = transport;
            CancellationToken stop = _receiveStop.Token;
            Task previous = _receiver;
            _receiver = Task.Run(async () =>
            {
                await previous.ConfigureAwait(false);
                await ReceiveLoopAsync(transport, stop).ConfigureAwait(false);
            });
        }
    }

    /// <summary>Stops using <paramref name="transport"/> if it is the attached one.</summary>
    public void Detach(IBridgeTransport transport)
    {
        lock (_gate)
        {
            if (!ReferenceEquals(_transport, transport))
            {
                return;
            }

            _transport = null;
            _receiveStop?.Cancel();
        }
    }

    /// <summary>
    /// Queues a keepalive (an ICMP echo to the exit's gateway) if a session is attached and the
    /// queue has room; returns whether one was queued.
    /// </summary>
    public bool TrySendKeepAlive()
    {
        IBridgeTransport? transport = Transport;
        if (transport is null)
        {
            return false;
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(KeepAlivePacket.Length);
        int length = KeepAlivePacket.Write(buffer, transport.LocalIpv4, _echoIdentifier, (ushort)Interlocked.Increment(ref _echoSequence));
        if (!_outgoing.Writer.TryWrite((buffer, length)))
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return false;
        }

        transport.Liveness.OnEchoSent();
        _metrics.KeepAliveSent();
        return true;
    }

    /// <inheritdoc/>
    public ValueTask WriteAsync(ReadOnlyMemory<byte> packet, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (packet.Length is 0 or > PacketBundle.MaxPacketLength)
        {
            throw new ArgumentException($"A packet must be 1..{PacketBundle.MaxPacketLength} bytes long.", nameof(packet));
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(packet.Length);
        packet.Span.CopyTo(buffer);
        if (_outgoing.Writer.TryWrite((buffer, packet.Length)))
        {
            return ValueTask.CompletedTask;
        }

        return WriteSlowAsync(buffer, packet.Length, cancellationToken);
    }

    /// <inheritdoc/>
    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            ReadOnlyMemory<byte> packet = await _incoming.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            int n = Math.Min(packet.Length, buffer.Length);
            packet.Span.Slice(0, n).CopyTo(buffer.Span);
            return n;
        }
        catch (ChannelClosedException)
        {
            return 0;
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Task receiver;
        lock (_gate)
        {
            _transport = null;
            receiver = _receiver;
        }

        _outgoing.Writer.TryComplete();
        await _lifetime.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_sender, receiver).ConfigureAwait(false);
        _incoming.Writer.TryComplete();
        while (_outgoing.Reader.TryRead(out (byte[] Buffer, int Length) left))
        {
            ArrayPool<byte>.Shared.Return(left.Buffer);
        }

        lock (_gate)
        {
            _receiveStop?.Dispose();
            _receiveStop = null;
        }

        _lifetime.Dispose();
    }

    private async ValueTask WriteSlowAsync(byte[] buffer, int length, CancellationToken cancellationToken)
    {
        try
        {
            await _outgoing.Writer.WriteAsync((buffer, length), cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw new ObjectDisposedException(nameof(NymBridgeDevice));
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    private async Task ReceiveLoopAsync(IBridgeTransport transport, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (ReadOnlyMemory<byte> packet in transport.Packets.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (KeepAlivePacket.IsReply(packet.Span, _echoIdentifier))
                {
                    transport.Liveness.OnEchoReply();
                    continue;
                }

                _metrics.PacketReceived();
                await _incoming.Writer.WriteAsync(packet, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is IOException or ChannelClosedException or InvalidOperationException)
        {
            // The session ended with an error; the tunnel's watchdog sees the same completion.
            BridgeLog.PacketStreamEnded(_logger, ex);
        }
    }

    private async Task SendLoopAsync()
    {
        CancellationToken lifetime = _lifetime.Token;
        ChannelReader<(byte[] Buffer, int Length)> reader = _outgoing.Reader;
        byte[] bundle = new byte[Math.Max(SphinxEstimate.MaxForwardMessage(_options.MaxSphinxPacketsPerMessage), PacketBundle.RecordLength(PacketBundle.MaxPacketLength))];
        int messageLimit = SphinxEstimate.MaxForwardMessage(_options.MaxSphinxPacketsPerMessage);
        (byte[] Buffer, int Length)? carry = null;
        try
        {
            while (true)
            {
                (byte[] Buffer, int Length) first = carry ?? await reader.ReadAsync(lifetime).ConfigureAwait(false);
                carry = null;
                IBridgeTransport? transport = Transport;
                if (transport is null)
                {
                    ArrayPool<byte>.Shared.Return(first.Buffer);
                    _metrics.PacketDropped();
                    continue;
                }

                int length = Append(bundle, 0, first);
                int count = 1;
                long started = _time.GetTimestamp();
                while (transport.DataMessageLength(length + PacketBundle.RecordLength(SmallestPacket)) <= messageLimit)
                {
                    if (reader.TryRead(out (byte[] Buffer, int Length) next))
                    {
                        if (transport.DataMessageLength(length + PacketBundle.RecordLength(next.Length)) <= messageLimit)
                        {
                            length += Append(bundle, length, next);
                            count++;
                            continue;
                        }

                        carry = next;
                        break;
                    }

                    if (!await WaitForMoreAsync(reader, started, lifetime).ConfigureAwait(false))
                    {
                        break;
                    }
                }

                await SendAsync(transport, bundle.AsMemory(0, length), count, lifetime).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (lifetime.IsCancellationRequested)
        {
        }
        catch (ChannelClosedException)
        {
        }
        finally
        {
            if (carry is { } left)
            {
                ArrayPool<byte>.Shared.Return(left.Buffer);
            }
        }
    }

    private static int Append(byte[] bundle, int offset, (byte[] Buffer, int Length) packet)
    {
        int written = PacketBundle.WriteRecord(bundle.AsSpan(offset), packet.Buffer.AsSpan(0, packet.Length));
        ArrayPool<byte>.Shared.Return(packet.Buffer);
        return written;
    }

    private async ValueTask<bool> WaitForMoreAsync(ChannelReader<(byte[] Buffer, int Length)> reader, long started, CancellationToken lifetime)
    {
        TimeSpan remaining = _options.FlushDelay - _time.GetElapsedTime(started);
        if (remaining <= TimeSpan.Zero)
        {
            return false;
        }

        using var deadline = new CancellationTokenSource(remaining, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(lifetime, deadline.Token);
        try
        {
            return await reader.WaitToReadAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!lifetime.IsCancellationRequested)
        {
            return false;
        }
    }

    private async ValueTask SendAsync(IBridgeTransport transport, ReadOnlyMemory<byte> bundle, int packets, CancellationToken lifetime)
    {
        int messageLength = transport.DataMessageLength(bundle.Length);
        int surbs = transport.Surbs.Choose(messageLength);
        try
        {
            await transport.WaitForRoomAsync(lifetime).ConfigureAwait(false);
            await transport.SendBundleAsync(bundle, surbs, lifetime).ConfigureAwait(false);
            _metrics.MessageSent(packets, SphinxEstimate.ForwardPayloadBytes(messageLength, surbs), SphinxEstimate.ForwardPackets(messageLength, surbs), surbs);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !lifetime.IsCancellationRequested)
        {
            // The session is failing (nym-client gone, session ended); the watchdog notices. TCP retransmits.
            BridgeLog.SendFailed(_logger, ex, packets);
            for (int i = 0; i < packets; i++)
            {
                _metrics.PacketDropped();
            }
        }
    }
}
