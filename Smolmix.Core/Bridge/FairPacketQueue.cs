using System.Buffers;

namespace Smolmix.Bridge;

/// <summary>
/// The bridge's outbound queue: per-flow queues served by deficit round robin with FQ-CoDel's two
/// lists (RFC 8290 §4.2, without the CoDel drops). A flow is a transport 5-tuple read from the IP
/// header (ICMP and anything unparsable share one flow). A flow that becomes active joins the
/// <em>new</em> list, served before the <em>old</em> one, so a sparse flow — a request, a handshake,
/// a DNS query — leaves with the next message instead of waiting behind a bulk transfer's backlog;
/// flows that keep sending fall back to the old list and share what is left byte-fairly.
/// </summary>
/// <remarks>
/// Buffers are rented from <see cref="ArrayPool{T}.Shared"/> by the caller and owned by the queue
/// from a successful <see cref="TryEnqueue"/> until <see cref="TryDequeue(out byte[], out int, out bool)"/> hands them back (or
/// <see cref="Drain"/> returns them to the pool). One reader (the bridge's send loop); any number of
/// writers. The total number of packets is bounded by the capacity; writers wait for space with
/// <see cref="WaitForSpaceAsync"/>.
/// </remarks>
internal sealed class FairPacketQueue
{
    /// <summary>Bytes a flow may send per round: one full tunnel packet.</summary>
    public const int Quantum = 1500;

    /// <summary>A new flow with fewer bytes than this queued is sparse (a request, not the start of a burst).</summary>
    public const int SparseBytes = 2 * Quantum;

    /// <summary>
    /// How long a flow that sent a burst is remembered after its queue empties: it comes back on the old list, not
    /// as a sparse flow. An upload fed by its acknowledgements empties its queue between bursts; without a
    /// memory each burst's first packets would count as a request.
    /// </summary>
    public static readonly TimeSpan BulkMemory = TimeSpan.FromSeconds(2);

    private const int RecentBulkPruneAt = 64;

    private readonly int _capacity;
    private readonly TimeProvider _time;
    private readonly Dictionary<int, long> _recentBulk = [];
    private readonly Lock _gate = new();
    private readonly Dictionary<int, Flow> _flows = [];
    private readonly Queue<Flow> _newFlows = new();
    private readonly Queue<Flow> _oldFlows = new();
    private TaskCompletionSource<bool>? _readable;
    private TaskCompletionSource? _writable;
    private TaskCompletionSource? _urgentArrival;
    private int _count;
    private int _pureAcks;
    private bool _completed;

    /// <summary>Creates a queue holding at most <paramref name="capacity"/> packets.</summary>
    public FairPacketQueue(int capacity, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Packets queued.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    /// <summary>Whether some flow's next packet is a bare TCP acknowledgement (what <see cref="TryDequeueAck"/> takes).</summary>
    public bool HasAckAtHead
    {
        get
        {
            lock (_gate)
            {
                return AckHeadLocked() is not null;
            }
        }
    }

    /// <summary>Whether packets are queued and all of them are bare TCP acknowledgements.</summary>
    public bool HoldsOnlyAcks
    {
        get
        {
            lock (_gate)
            {
                return _count > 0 && _pureAcks == _count;
            }
        }
    }

    /// <summary>Flows with packets queued or still on the new list.</summary>
    public int ActiveFlows
    {
        get
        {
            lock (_gate)
            {
                return _flows.Count;
            }
        }
    }

    /// <summary>
    /// Queues a packet of <paramref name="length"/> bytes held in <paramref name="buffer"/> unless
    /// the queue is full or completed; on success the queue owns the buffer.
    /// </summary>
    public bool TryEnqueue(byte[] buffer, int length)
    {
        TaskCompletionSource<bool>? wake;
        lock (_gate)
        {
            if (_completed || _count >= _capacity)
            {
                return false;
            }

            int key = FlowKey(buffer.AsSpan(0, length));
            if (!_flows.TryGetValue(key, out Flow? flow))
            {
                flow = new Flow();
                _flows.Add(key, flow);
            }

            // Classified once here: the send loop asks about queued packets far more often than it queues them.
            bool pureAck = IsPureAck(buffer.AsSpan(0, length));
            flow.Packets.Enqueue(new Entry(buffer, length, pureAck));
            flow.Bytes += length;
            TaskCompletionSource? urgent = null;
            if (flow.List == FlowList.None && RecentlyBulk(key))
            {
                flow.List = FlowList.Old;
                flow.Deficit = Quantum;
                flow.Key = key;
                _oldFlows.Enqueue(flow);
            }
            else if (flow.List == FlowList.None)
            {
                flow.List = FlowList.New;
                flow.Deficit = Quantum;
                flow.Key = key;
                _newFlows.Enqueue(flow);
                if (!pureAck)
                {
                    urgent = _urgentArrival;
                    _urgentArrival = null;
                }
            }

            _count++;
            if (pureAck && ++_pureAcks == 1)
            {
                // The first bare ACK can leave on its own lane while the data lane is full.
                urgent ??= _urgentArrival;
                _urgentArrival = null;
            }

            wake = _readable;
            _readable = null;
            urgent?.TrySetResult();
        }

        wake?.TrySetResult(true);
        return true;
    }

    /// <summary>
    /// Takes the next packet in fair order; the caller owns the buffer afterwards.
    /// <paramref name="urgent"/> tells whether it came from a sparse flow (on the new list with less than
    /// <see cref="SparseBytes"/> queued) and is more than a bare TCP acknowledgement: a request, a
    /// handshake, a datagram — not the start of a burst.
    /// </summary>
    public bool TryDequeue(out byte[] buffer, out int length, out bool urgent) => TryDequeue(out buffer, out length, out urgent, out _);

    /// <summary>
    /// <see cref="TryDequeue(out byte[], out int, out bool)"/>, also telling whether the packet is a bare
    /// TCP acknowledgement (<see cref="IsPureAck"/>, decided when it was queued).
    /// </summary>
    public bool TryDequeue(out byte[] buffer, out int length, out bool urgent, out bool pureAck)
    {
        TaskCompletionSource? wake = null;
        lock (_gate)
        {
            while (true)
            {
                Queue<Flow> list = _newFlows.Count > 0 ? _newFlows : _oldFlows;
                if (!list.TryPeek(out Flow? flow))
                {
                    buffer = [];
                    length = 0;
                    urgent = false;
                    pureAck = false;
                    return false;
                }

                if (flow.Deficit <= 0)
                {
                    flow.Deficit += Quantum;
                    list.Dequeue();
                    flow.List = FlowList.Old;
                    _oldFlows.Enqueue(flow);
                    continue;
                }

                if (!flow.Packets.TryDequeue(out Entry entry))
                {
                    list.Dequeue();
                    if (ReferenceEquals(list, _newFlows) && _oldFlows.Count > 0)
                    {
                        // RFC 8290: an emptied new flow goes to the old list once, so a flow cannot stay
                        // "new" by sending one packet per round.
                        flow.List = FlowList.Old;
                        _oldFlows.Enqueue(flow);
                    }
                    else
                    {
                        flow.List = FlowList.None;
                        _flows.Remove(flow.Key);
                        RememberIfBulk(flow);
                    }

                    continue;
                }

                bool sparse = ReferenceEquals(list, _newFlows) && flow.Bytes < SparseBytes;
                wake = TookLocked(flow, entry);
                buffer = entry.Buffer;
                length = entry.Length;
                urgent = sparse && !entry.PureAck;
                pureAck = entry.PureAck;
                break;
            }
        }

        wake?.TrySetResult();
        return true;
    }

    /// <summary>
    /// Takes the oldest bare TCP acknowledgement at the head of any flow, out of fair order (acknowledgements
    /// have a lane of their own); false when no flow starts with one. The caller owns the buffer afterwards.
    /// </summary>
    public bool TryDequeueAck(out byte[] buffer, out int length)
    {
        TaskCompletionSource? wake = null;
        buffer = [];
        length = 0;
        lock (_gate)
        {
            if (AckHeadLocked() is not { } flow)
            {
                return false;
            }

            Entry head = flow.Packets.Dequeue();
            wake = TookLocked(flow, head);
            buffer = head.Buffer;
            length = head.Length;
        }

        wake?.TrySetResult();
        return length > 0;
    }

    /// <summary>Whether a sparse flow waits with more than a bare acknowledgement (it leaves next).</summary>
    public bool NextIsUrgent
    {
        get
        {
            lock (_gate)
            {
                foreach (Flow flow in _newFlows)
                {
                    if (flow.Deficit > 0 && flow.Bytes < SparseBytes && flow.Packets.TryPeek(out Entry head) && !head.PureAck)
                    {
                        return true;
                    }
                }

                return false;
            }
        }
    }

    /// <summary>
    /// A task that completes when a sparse flow queues more than a bare acknowledgement, or when a bare
    /// acknowledgement is queued while none was (either may leave on another lane than the one waited for).
    /// </summary>
    public Task UrgentArrival()
    {
        lock (_gate)
        {
            _urgentArrival ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _urgentArrival.Task;
        }
    }

    /// <summary>Waits until a packet is queued; false once the queue is completed and empty.</summary>
    public async ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken)
    {
        Task<bool> wait;
        lock (_gate)
        {
            if (_count > 0)
            {
                return true;
            }

            if (_completed)
            {
                return false;
            }

            _readable ??= new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            wait = _readable.Task;
        }

        return await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits until the queue has room (or is completed).</summary>
    public async ValueTask WaitForSpaceAsync(CancellationToken cancellationToken)
    {
        Task wait;
        lock (_gate)
        {
            if (_completed || _count < _capacity)
            {
                return;
            }

            _writable ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            wait = _writable.Task;
        }

        await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Refuses further packets and wakes every waiter.</summary>
    public void Complete()
    {
        TaskCompletionSource<bool>? readable;
        TaskCompletionSource? writable;
        TaskCompletionSource? urgent;
        lock (_gate)
        {
            _completed = true;
            readable = _readable;
            writable = _writable;
            urgent = _urgentArrival;
            _readable = null;
            _writable = null;
            _urgentArrival = null;
        }

        readable?.TrySetResult(false);
        writable?.TrySetResult();
        urgent?.TrySetResult();
    }

    /// <summary>Returns every queued buffer to the pool.</summary>
    public void Drain()
    {
        lock (_gate)
        {
            foreach (Flow flow in _flows.Values)
            {
                while (flow.Packets.TryDequeue(out Entry entry))
                {
                    ArrayPool<byte>.Shared.Return(entry.Buffer);
                }
            }

            _flows.Clear();
            _newFlows.Clear();
            _oldFlows.Clear();
            _count = 0;
            _pureAcks = 0;
        }
    }

    /// <summary>Whether the packet is TCP with no payload and no SYN, FIN or RST (a bare acknowledgement).</summary>
    internal static bool IsPureAck(ReadOnlySpan<byte> packet)
    {
        int transport;
        int end;
        if (packet.Length >= 20 && packet[0] >> 4 == 4 && packet[9] == 6)
        {
            transport = (packet[0] & 0x0F) * 4;
            end = Math.Min(packet.Length, (packet[2] << 8) | packet[3]);
        }
        else if (packet.Length >= 40 && packet[0] >> 4 == 6 && packet[6] == 6)
        {
            transport = 40;
            end = Math.Min(packet.Length, 40 + ((packet[4] << 8) | packet[5]));
        }
        else
        {
            return false;
        }

        if (end < transport + 20)
        {
            return false;
        }

        int dataOffset = (packet[transport + 12] >> 4) * 4;
        const byte SynFinRst = 0x01 | 0x02 | 0x04;
        return (packet[transport + 13] & SynFinRst) == 0 && end - transport <= dataOffset;
    }

    /// <summary>A hash of the packet's flow: protocol, addresses and ports (0 when unparsable).</summary>
    internal static int FlowKey(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < 20)
        {
            return 0;
        }

        int version = packet[0] >> 4;
        int protocol;
        ReadOnlySpan<byte> addresses;
        int transport;
        if (version == 4)
        {
            int headerLength = (packet[0] & 0x0F) * 4;
            protocol = packet[9];
            addresses = packet.Slice(12, 8);
            bool laterFragment = ((packet[6] & 0x1F) | packet[7]) != 0;
            transport = laterFragment ? -1 : headerLength;
        }
        else if (version == 6 && packet.Length >= 40)
        {
            protocol = packet[6];
            addresses = packet.Slice(8, 32);
            transport = 40;
        }
        else
        {
            return 0;
        }

        var hash = default(HashCode);
        hash.Add(protocol);
        hash.AddBytes(addresses);
        if (protocol is 6 or 17 && transport >= 0 && packet.Length >= transport + 4)
        {
            hash.AddBytes(packet.Slice(transport, 4));
        }

        return hash.ToHashCode();
    }

    private enum FlowList
    {
        None,
        New,
        Old,
    }

    private readonly record struct Entry(byte[] Buffer, int Length, bool PureAck);

    // Caller holds the lock and has just taken entry from flow: the accounts, and a writer to wake if there is room now.
    private TaskCompletionSource? TookLocked(Flow flow, Entry entry)
    {
        flow.Deficit -= entry.Length;
        flow.Bytes -= entry.Length;
        flow.Dequeued += entry.Length;
        _count--;
        if (entry.PureAck)
        {
            _pureAcks--;
        }

        TaskCompletionSource? writable = null;
        if (_count < _capacity && _writable is not null)
        {
            writable = _writable;
            _writable = null;
        }

        return writable;
    }

    // Caller holds the lock. A flow whose next packet is a bare ACK, or null.
    private Flow? AckHeadLocked()
    {
        if (_pureAcks == 0)
        {
            return null;
        }

        foreach (Flow flow in _flows.Values)
        {
            if (flow.Packets.TryPeek(out Entry head) && head.PureAck)
            {
                return flow;
            }
        }

        return null;
    }

    // Caller holds the lock.
    private bool RecentlyBulk(int key)
    {
        if (!_recentBulk.TryGetValue(key, out long since))
        {
            return false;
        }

        if (_time.GetElapsedTime(since) < BulkMemory)
        {
            return true;
        }

        _recentBulk.Remove(key);
        return false;
    }

    // Caller holds the lock. Bounded: past RecentBulkPruneAt entries the expired ones go.
    private void RememberIfBulk(Flow flow)
    {
        if (flow.Dequeued < SparseBytes)
        {
            return;
        }

        if (_recentBulk.Count >= RecentBulkPruneAt)
        {
            foreach ((int key, long since) in _recentBulk)
            {
                if (_time.GetElapsedTime(since) >= BulkMemory)
                {
                    _recentBulk.Remove(key);
                }
            }

            if (_recentBulk.Count >= RecentBulkPruneAt)
            {
                return; // more than RecentBulkPruneAt bulk flows within BulkMemory: forget this one
            }
        }

        _recentBulk[flow.Key] = _time.GetTimestamp();
    }

    private sealed class Flow
    {
        public Queue<Entry> Packets { get; } = new();

        /// <summary>Bytes taken from this flow since it last became active.</summary>
        public int Dequeued { get; set; }

        public int Deficit { get; set; }

        public int Bytes { get; set; }

        public int Key { get; set; }

        public FlowList List { get; set; }
    }
}
