using System.Buffers;
using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Smolmix.Devices;
using Smolmix.Nym;

namespace Smolmix.Bridge;

/// <summary>
/// The packet device between a <see cref="NetStack"/> and the exit sessions of a tunnel.
/// Outgoing packets wait in a bounded fair queue (<see cref="FairPacketQueue"/>: a sparse flow such as
/// a request overtakes a bulk transfer's backlog; a full queue makes <see cref="WriteAsync"/> wait,
/// and so holds TCP back). When nym-client's lane has room, they leave in bundles: one data message
/// takes queued packets until it fills
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
    private readonly FairPacketQueue _outgoing;
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
        _outgoing = new FairPacketQueue(options.QueueCapacity, time);
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
        if (!_outgoing.TryEnqueue(buffer, length))
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
        if (_outgoing.TryEnqueue(buffer, packet.Length))
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

        _outgoing.Complete();
        await _lifetime.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_sender, receiver).ConfigureAwait(false);
        _incoming.Writer.TryComplete();
        _outgoing.Drain();

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
            while (!_outgoing.TryEnqueue(buffer, length))
            {
                if (Volatile.Read(ref _disposed) != 0)
                {
                    throw new ObjectDisposedException(nameof(NymBridgeDevice));
                }

                await _outgoing.WaitForSpaceAsync(cancellationToken).ConfigureAwait(false);
            }
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
        int messageLimit = SphinxEstimate.MaxForwardMessage(_options.MaxSphinxPacketsPerMessage);
        byte[] bundle = new byte[Math.Max(messageLimit, PacketBundle.RecordLength(PacketBundle.MaxPacketLength))];
        Packet? carry = null;
        try
        {
            while (carry is not null || await _outgoing.WaitToReadAsync(lifetime).ConfigureAwait(false))
            {
                IBridgeTransport? transport = Transport;
                if (transport is null)
                {
                    DropQueued(ref carry);
                    continue;
                }

                // Wait for room in nym-client's lane before choosing what goes, so packets that arrive
                // meanwhile are still ordered by the fair queue; a request arriving while the data lane is
                // full goes at once on the interactive lane.
                BridgeLane lane;
                try
                {
                    lane = await WaitForLaneAsync(transport, carry, lifetime).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !lifetime.IsCancellationRequested)
                {
                    // The session is failing (nym-client gone); the watchdog notices. TCP retransmits.
                    BridgeLog.SendFailed(_logger, ex, _outgoing.Count);
                    DropQueued(ref carry);
                    continue;
                }

                if (lane == BridgeLane.Acks)
                {
                    await SendAcksAsync(transport, bundle, lifetime).ConfigureAwait(false);
                    continue;
                }

                Packet first;
                if (carry is { } held)
                {
                    first = held;
                    carry = null;
                }
                else if (!TryTake(out first))
                {
                    continue;
                }

                // A burst that looked like a request while its first packet was alone is bulk; a message that was
                // waiting for a request carries it (it comes next, after what the fair queue put first).
                bool interactive = first.Urgent || (lane == BridgeLane.Interactive && _outgoing.NextIsUrgent);

                // Only bulk data fills long messages (several Sphinx payloads pack IP packets across payload
                // boundaries). A request's message, or acknowledgements, stay one Sphinx packet long: a message
                // arrives when its last fragment does, and a download's ACKs would otherwise take several slots
                // of the lane at a time.
                bool shortMessage = interactive || first.PureAck;
                int limit = shortMessage ? Math.Min(messageLimit, SphinxEstimate.MaxForwardMessage(1)) : messageLimit;
                int length = Append(bundle, 0, first);
                int count = 1;
                long started = _time.GetTimestamp();
                while (transport.DataMessageLength(length + PacketBundle.RecordLength(SmallestPacket)) <= limit)
                {
                    // A data-lane message leaves before a request joins it: the request takes the
                    // interactive lane with the next message.
                    if (!interactive && _outgoing.NextIsUrgent)
                    {
                        break;
                    }

                    if (TryTake(out Packet next))
                    {
                        if (transport.DataMessageLength(length + PacketBundle.RecordLength(next.Length)) <= limit)
                        {
                            length += Append(bundle, length, next);
                            count++;
                            continue;
                        }

                        carry = next;
                        break;
                    }

                    if (!await WaitForMoreAsync(started, lifetime).ConfigureAwait(false))
                    {
                        break;
                    }
                }

                await SendAsync(transport, bundle.AsMemory(0, length), count, interactive ? BridgeLane.Interactive : BridgeLane.Data, lifetime).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (lifetime.IsCancellationRequested)
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

    /// <summary>
    /// Waits until the lane of the next message has room: the interactive lane when a request waits
    /// (or is carried over); the ACK lane when only bare acknowledgements wait, or when the data lane is full
    /// and some do; otherwise the data lane, polled until it drains or a request arrives. Returns the lane.
    /// </summary>
    private async ValueTask<BridgeLane> WaitForLaneAsync(IBridgeTransport transport, Packet? carry, CancellationToken lifetime)
    {
        while (true)
        {
            // Take the arrival signal before looking, so a request queued in between is either seen or signalled.
            Task urgent = _outgoing.UrgentArrival();
            bool interactive = carry?.Urgent ?? _outgoing.NextIsUrgent;
            if (interactive)
            {
                await transport.WaitForRoomAsync(BridgeLane.Interactive, lifetime).ConfigureAwait(false);
                return BridgeLane.Interactive;
            }

            // Bare acknowledgements alone never take the data lane, where an upload's backlog may queue.
            bool acks = carry is null && _outgoing.HasAckAtHead;
            if (!(acks && _outgoing.HoldsOnlyAcks) && await transport.HasRoomAsync(BridgeLane.Data, lifetime).ConfigureAwait(false))
            {
                return BridgeLane.Data;
            }

            if (acks && await transport.HasRoomAsync(BridgeLane.Acks, lifetime).ConfigureAwait(false))
            {
                return BridgeLane.Acks;
            }

            await Task.WhenAny(Task.Delay(_options.NymClientQueuePollInterval, _time, lifetime), urgent).ConfigureAwait(false);
            lifetime.ThrowIfCancellationRequested();
        }
    }

    /// <summary>
    /// Sends one message of the bare acknowledgements at the heads of the queue's flows (one Sphinx payload at
    /// most, with the SURBs its padding holds) on the ACK lane.
    /// </summary>
    private async ValueTask SendAcksAsync(IBridgeTransport transport, byte[] bundle, CancellationToken lifetime)
    {
        int limit = SphinxEstimate.MaxForwardMessage(1);
        int length = 0;
        int count = 0;
        while (transport.DataMessageLength(length + PacketBundle.RecordLength(SmallestPacket)) <= limit
            && _outgoing.TryDequeueAck(out byte[] buffer, out int packetLength))
        {
            length += Append(bundle, length, new Packet(buffer, packetLength, Urgent: false, PureAck: true));
            count++;
        }

        if (count > 0)
        {
            await SendAsync(transport, bundle.AsMemory(0, length), count, BridgeLane.Acks, lifetime).ConfigureAwait(false);
        }
    }

    private bool TryTake(out Packet packet)
    {
        if (_outgoing.TryDequeue(out byte[] buffer, out int length, out bool urgent, out bool pureAck))
        {
            packet = new Packet(buffer, length, urgent, pureAck);
            return true;
        }

        packet = default;
        return false;
    }

    /// <summary>No session: what is queued is dropped (TCP retransmits it once a session is back).</summary>
    private void DropQueued(ref Packet? carry)
    {
        if (carry is { } held)
        {
            ArrayPool<byte>.Shared.Return(held.Buffer);
            carry = null;
            _metrics.PacketDropped();
        }

        while (TryTake(out Packet packet))
        {
            ArrayPool<byte>.Shared.Return(packet.Buffer);
            _metrics.PacketDropped();
        }
    }

    private static int Append(byte[] bundle, int offset, Packet packet)
    {
        int written = PacketBundle.WriteRecord(bundle.AsSpan(offset), packet.Buffer.AsSpan(0, packet.Length));
        ArrayPool<byte>.Shared.Return(packet.Buffer);
        return written;
    }

    private async ValueTask<bool> WaitForMoreAsync(long started, CancellationToken lifetime)
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
            return await _outgoing.WaitToReadAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!lifetime.IsCancellationRequested)
        {
            return false;
        }
    }

    private async ValueTask SendAsync(IBridgeTransport transport, ReadOnlyMemory<byte> bundle, int packets, BridgeLane lane, CancellationToken lifetime)
    {
        bool interactive = lane == BridgeLane.Interactive;
        int messageLength = transport.DataMessageLength(bundle.Length);
        int surbs = transport.Surbs.Choose(messageLength);
        try
        {
            // SURBs beyond the message's padding make it longer: such a message goes on its own lane, so a
            // request's or an ACK's message never grows past its one payload, and bulk data only by its own
            // packets. The loop never waits for that lane (a request would wait behind it): while it is full,
            // and always for an interactive message, the message keeps only the SURBs that ride free in its
            // padding.
            if (SphinxEstimate.ForwardPackets(messageLength, surbs) > SphinxEstimate.ForwardPackets(messageLength, 0))
            {
                if (!interactive && await transport.HasRoomAsync(BridgeLane.Surbs, lifetime).ConfigureAwait(false))
                {
                    lane = BridgeLane.Surbs;
                }
                else
                {
                    surbs = Math.Min(surbs, SphinxEstimate.FreeSurbSlots(messageLength));
                }
            }

            await transport.SendBundleAsync(bundle, surbs, lane, lifetime).ConfigureAwait(false);
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

    /// <summary>A queued packet: its pooled buffer, length, whether it is a sparse flow's request, whether a bare ACK.</summary>
    private readonly record struct Packet(byte[] Buffer, int Length, bool Urgent, bool PureAck);
}
