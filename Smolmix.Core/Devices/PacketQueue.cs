namespace Smolmix.Devices;

/// <summary>
/// A bounded first-in first-out queue of <see cref="PooledPacket"/>s between one producer and one consumer
/// (each may be a different thread every call), with allocation-free waits on both sides: a fixed ring
/// and one <see cref="ReusableWaiter"/> per side. It replaces a <see cref="System.Threading.Channels.Channel"/>,
/// which allocates an operation object for every wait that can be cancelled.
/// </summary>
/// <remarks>
/// Ownership: a packet given to <see cref="TryEnqueue"/> that returns true belongs to the queue; one taken by
/// <see cref="TryDequeue"/> belongs to the caller, who returns its buffer. After <see cref="Close"/> the
/// consumer still takes what is queued, then its waits return false; the producer's calls fail.
/// <see cref="DrainAndReturn"/> returns the buffers of whatever is left.
/// </remarks>
internal sealed class PacketQueue
{
    private readonly object _gate = new();
    private readonly PooledPacket[] _items;
    private readonly ReusableWaiter _consumer = new();
    private readonly ReusableWaiter _producer = new();
    private int _head;
    private int _count;
    private bool _closed;

    /// <param name="capacity">Packets held at most.</param>
    public PacketQueue(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _items = new PooledPacket[capacity];
    }

    /// <summary>Packets queued now.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>True once <see cref="Close"/> has been called.</summary>
    public bool IsClosed => Volatile.Read(ref _closed);

    /// <summary>Queues <paramref name="packet"/>; false (the caller keeps it) when full or closed.</summary>
    public bool TryEnqueue(PooledPacket packet)
    {
        lock (_gate)
        {
            if (_closed || _count == _items.Length)
            {
                return false;
            }
            int tail = _head + _count;
            if (tail >= _items.Length)
            {
                tail -= _items.Length;
            }
            _items[tail] = packet;
            _count++;
            _consumer.TrySetResult(true);
            return true;
        }
    }

    /// <summary>Takes the oldest packet; false when empty.</summary>
    public bool TryDequeue(out PooledPacket packet)
    {
        lock (_gate)
        {
            if (_count == 0)
            {
                packet = default;
                return false;
            }
            packet = _items[_head];
            _items[_head] = default;
            _head = _head + 1 == _items.Length ? 0 : _head + 1;
            _count--;
            _producer.TrySetResult(true);
            return true;
        }
    }

    /// <summary>
    /// Waits until a packet is queued (true) or the queue is closed and empty (false). One consumer waits at a
    /// time; the task must be awaited before the next call.
    /// </summary>
    public ValueTask<bool> WaitToDequeueAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_count > 0)
            {
                return new ValueTask<bool>(true);
            }
            if (_closed)
            {
                return new ValueTask<bool>(false);
            }
            return _consumer.Arm(cancellationToken);
        }
    }

    /// <summary>
    /// Waits until there is room (true) or the queue is closed (false). One producer waits at a time; the task
    /// must be awaited before the next call.
    /// </summary>
    public ValueTask<bool> WaitToEnqueueAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_closed)
            {
                return new ValueTask<bool>(false);
            }
            if (_count < _items.Length)
            {
                return new ValueTask<bool>(true);
            }
            return _producer.Arm(cancellationToken);
        }
    }

    /// <summary>Closes the queue: no more packets go in; waiters wake (the consumer drains what is left first).</summary>
    public void Close()
    {
        lock (_gate)
        {
            _closed = true;
            _consumer.TrySetResult(_count > 0);
            _producer.TrySetResult(false);
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
}
