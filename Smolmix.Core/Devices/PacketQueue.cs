using System.Collections.Concurrent;

namespace Smolmix.Devices;

/// <summary>
/// A bounded first-in first-out queue of <see cref="PooledPacket"/>s between threads, with allocation-free
/// waits. Adding and taking are lock-free (a <see cref="ConcurrentQueue{T}"/>, which reuses its ring while the
/// queue stays within the largest size it has had, and an interlocked count for the bound), so the producing
/// and the consuming stack never spin on a shared lock; a lock is taken only to start or end a wait. It
/// replaces a <see cref="System.Threading.Channels.Channel"/>, which allocates an operation object for every
/// wait that can be cancelled.
/// </summary>
/// <remarks>
/// <para>Ownership: a packet given to <see cref="TryEnqueue"/> that returns true belongs to the queue; one taken
/// by <see cref="TryDequeue"/> belongs to the caller, who returns its buffer. After <see cref="Close"/> consumers
/// still take what is queued, then their waits return false; producers' calls fail. <see cref="DrainAndReturn"/>
/// returns the buffers of whatever is left.</para>
/// <para>Waking without a lost wake-up: a waiter publishes its flag with a full fence and then looks at the queue
/// again; the other side changes the queue, fences, and then looks at the flag. At least one of them sees the
/// other. Waiters are <see cref="ReusableWaiter"/>s: one cached per side, a fresh one for a second concurrent
/// waiter on the same side (two writers waiting for room).</para>
/// </remarks>
internal sealed class PacketQueue
{
    private readonly ConcurrentQueue<PooledPacket> _items = new();
    private readonly int _capacity;
    private readonly object _gate = new();
    // Cached waiters release themselves when their result is taken, so the next wait reuses them.
    private readonly ReusableWaiter _consumer = new(releaseOnResult: true);
    private readonly ReusableWaiter _producer = new(releaseOnResult: true);
    private readonly List<ReusableWaiter> _consumers = new(1);
    private readonly List<ReusableWaiter> _producers = new(1);
    // Slots taken: raised before a packet goes in, lowered after one comes out (so never below the packets held).
    private int _count;
    private int _consumersWaiting;
    private int _producersWaiting;
    private volatile bool _closed;

    /// <param name="capacity">Packets held at most.</param>
    public PacketQueue(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
    }

    /// <summary>Packets queued now (or about to be).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>True once <see cref="Close"/> has been called.</summary>
    public bool IsClosed => _closed;

    /// <summary>Queues <paramref name="packet"/>; false (the caller keeps it) when full or closed.</summary>
    public bool TryEnqueue(PooledPacket packet)
    {
        if (_closed)
        {
            return false;
        }
        if (Interlocked.Increment(ref _count) > _capacity)
        {
            Interlocked.Decrement(ref _count);
            return false;
        }
        _items.Enqueue(packet);
        Interlocked.MemoryBarrier(); // the packet is visible before we look for waiting consumers
        if (Volatile.Read(ref _consumersWaiting) != 0)
        {
            Wake(_consumers, ref _consumersWaiting, true);
        }
        return true;
    }

    /// <summary>Takes the oldest packet; false when empty.</summary>
    public bool TryDequeue(out PooledPacket packet)
    {
        if (!_items.TryDequeue(out packet))
        {
            return false;
        }
        Interlocked.Decrement(ref _count); // a full fence: the room is visible before we look for waiting producers
        if (Volatile.Read(ref _producersWaiting) != 0)
        {
            Wake(_producers, ref _producersWaiting, true);
        }
        return true;
    }

    /// <summary>
    /// Waits until a packet is queued (true; another consumer may take it first, so try again) or the queue is
    /// closed and empty (false). Await the task once.
    /// </summary>
    public ValueTask<bool> WaitToDequeueAsync(CancellationToken cancellationToken)
    {
        if (!_items.IsEmpty)
        {
            return new ValueTask<bool>(true);
        }
        lock (_gate)
        {
            if (_closed)
            {
                return new ValueTask<bool>(!_items.IsEmpty);
            }
            var wait = Arm(_consumers, _consumer, cancellationToken);
            Interlocked.Exchange(ref _consumersWaiting, 1);
            if (!_items.IsEmpty)
            {
                // A packet came in before the flag was visible: its producer may not have seen us.
                WakeLocked(_consumers, ref _consumersWaiting, true);
            }
            return wait;
        }
    }

    /// <summary>
    /// Waits until there is room (true; another producer may fill it first, so try again) or the queue is closed
    /// (false). Await the task once.
    /// </summary>
    public ValueTask<bool> WaitToEnqueueAsync(CancellationToken cancellationToken)
    {
        if (_closed)
        {
            return new ValueTask<bool>(false);
        }
        if (Volatile.Read(ref _count) < _capacity)
        {
            return new ValueTask<bool>(true);
        }
        lock (_gate)
        {
            if (_closed)
            {
                return new ValueTask<bool>(false);
            }
            var wait = Arm(_producers, _producer, cancellationToken);
            Interlocked.Exchange(ref _producersWaiting, 1);
            if (Volatile.Read(ref _count) < _capacity)
            {
                WakeLocked(_producers, ref _producersWaiting, true);
            }
            return wait;
        }
    }

    /// <summary>Closes the queue: no more packets go in; waiters wake (consumers drain what is left first).</summary>
    public void Close()
    {
        lock (_gate)
        {
            _closed = true;
            WakeLocked(_consumers, ref _consumersWaiting, !_items.IsEmpty);
            WakeLocked(_producers, ref _producersWaiting, false);
        }
    }

    /// <summary>Takes every queued packet and returns its buffer to the pool.</summary>
    public void DrainAndReturn()
    {
        while (TryDequeue(out var packet))
        {
            packet.Return();
        }
    }

    // Under the gate: arms the cached waiter, or a fresh one when another wait holds it, and lists it.
    private static ValueTask<bool> Arm(List<ReusableWaiter> waiting, ReusableWaiter cached, CancellationToken cancellationToken)
    {
        var waiter = cached;
        if (!waiter.TryAcquire())
        {
            waiter = new ReusableWaiter(releaseOnResult: true);
            waiter.TryAcquire();
        }
        var wait = waiter.Arm(cancellationToken);
        if (!waiting.Contains(waiter))
        {
            waiting.Add(waiter); // (a cancelled wait leaves its waiter listed until the next wake-up)
        }
        return wait;
    }

    private void Wake(List<ReusableWaiter> waiting, ref int flag, bool result)
    {
        lock (_gate)
        {
            WakeLocked(waiting, ref flag, result);
        }
    }

    // Under the gate. A waiter cancelled since it was listed is skipped (TrySetResult does nothing).
    private static void WakeLocked(List<ReusableWaiter> waiting, ref int flag, bool result)
    {
        Volatile.Write(ref flag, 0);
        if (waiting.Count == 0)
        {
            return;
        }
        foreach (var w in waiting)
        {
            w.TrySetResult(result);
        }
        waiting.Clear();
    }
}
