using System.Threading.Channels;

namespace Smolmix.Devices;

/// <summary>
/// One impaired direction of an <see cref="ImpairmentDevice"/>: applies an
/// <see cref="ImpairmentModel"/> to offered packets, holds the survivors in a priority queue by
/// delivery time, and hands them to a single consumer once due, using a timer from the
/// injected <see cref="TimeProvider"/>. Offering is thread-safe; there is one consumer.
/// </summary>
internal sealed class DelayLine : IDisposable
{
    private readonly object _lock = new();
    private readonly ImpairmentModel _model;
    private readonly PriorityQueue<PooledPacket, DeliveryKey> _held = new();
    private readonly TimeProvider _timeProvider;
    private readonly long _origin;
    private readonly ITimer _timer;
    private readonly Channel<byte> _wake = Channel.CreateBounded<byte>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    private readonly int _maxHeldPackets;
    private readonly bool _coarseTimer;
    private long _sequence;
    private long _droppedByCapacity;
    private bool _completed;
    private bool _closed;

    /// <summary>Creates a delay line.</summary>
    /// <param name="options">The impairment to apply.</param>
    /// <param name="timeProvider">The clock and timers.</param>
    /// <param name="maxHeldPackets">The most packets held at once; more are dropped and counted.</param>
    public DelayLine(ImpairmentOptions options, TimeProvider timeProvider, int maxHeldPackets)
    {
        _model = new ImpairmentModel(options);
        _timeProvider = timeProvider;
        _origin = timeProvider.GetTimestamp();
        _maxHeldPackets = maxHeldPackets;
        _coarseTimer = ReferenceEquals(timeProvider, TimeProvider.System);
        _timer = timeProvider.CreateTimer(static state => ((DelayLine)state!).Wake(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The time since the line was created; the model's clock.</summary>
    public TimeSpan Now => _timeProvider.GetElapsedTime(_origin);

    /// <summary>The number of packets held, waiting for their delivery time.</summary>
    public int HeldCount
    {
        get
        {
            lock (_lock)
            {
                return _held.Count;
            }
        }
    }

    /// <summary>What the line has done so far.</summary>
    public ImpairmentCounters Counters
    {
        get
        {
            lock (_lock)
            {
                var c = _model.Counters;
                return new ImpairmentCounters
                {
                    PacketsSeen = c.PacketsSeen,
                    DroppedByLoss = c.DroppedByLoss,
                    DroppedByQueue = c.DroppedByQueue,
                    DroppedByCapacity = _droppedByCapacity,
                    Duplicated = c.Duplicated,
                    Corrupted = c.Corrupted,
                };
            }
        }
    }

    /// <summary>Offers one packet; it is copied (so the caller keeps its buffer), impaired and held.</summary>
    /// <returns>False if the line is closed or completed.</returns>
    public bool Offer(ReadOnlySpan<byte> packet)
    {
        lock (_lock)
        {
            if (_closed || _completed)
            {
                return false;
            }

            var decision = _model.Decide(packet.Length, Now);
            if (decision.Dropped)
            {
                return true;
            }

            Hold(packet, decision.DeliverAt, decision.CorruptByteIndex);
            if (decision.Duplicated)
            {
                Hold(packet, decision.DuplicateDeliverAt, -1);
            }
        }

        Wake();
        return true;
    }

    private void Hold(ReadOnlySpan<byte> packet, TimeSpan deliverAt, int corruptIndex)
    {
        if (_held.Count >= _maxHeldPackets)
        {
            _droppedByCapacity++;
            return;
        }

        var pooled = PooledPacket.Copy(packet);
        if (corruptIndex >= 0)
        {
            pooled.Buffer[corruptIndex] ^= 0xFF;
        }

        _held.Enqueue(pooled, new DeliveryKey(deliverAt.Ticks, _sequence++));
    }

    /// <summary>No more packets will be offered; the consumer gets the held ones at their time, then the end.</summary>
    public void Complete()
    {
        lock (_lock)
        {
            _completed = true;
        }

        Wake();
    }

    /// <summary>
    /// Waits until the earliest held packet is due and removes it. The caller owns the packet
    /// and must <see cref="PooledPacket.Return"/> it. Returns false once the line is closed, or
    /// completed and empty.
    /// </summary>
    public async ValueTask<(bool Ok, PooledPacket Packet)> DequeueDueAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (TryTakeDue(out var packet, out long dueTicks))
            {
                return (true, packet);
            }

            if (dueTicks < 0)
            {
                return (false, default);
            }

            if (dueTicks != long.MaxValue)
            {
                try
                {
                    ArmTimer(dueTicks);
                }
                catch (ObjectDisposedException)
                {
                    // Closed meanwhile; the next pass sees it.
                    continue;
                }
            }

            await _wake.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Takes the earliest packet if it is due. Otherwise reports when it will be
    /// (<paramref name="dueTicks"/>; <see cref="long.MaxValue"/> when nothing is held, -1 when the line has ended).
    /// </summary>
    private bool TryTakeDue(out PooledPacket packet, out long dueTicks)
    {
        lock (_lock)
        {
            packet = default;
            if (_closed)
            {
                dueTicks = -1;
                return false;
            }

            if (_held.TryPeek(out _, out var key))
            {
                dueTicks = key.DeliverAtTicks;
                if (dueTicks <= Now.Ticks)
                {
                    packet = _held.Dequeue();
                    return true;
                }

                return false;
            }

            dueTicks = _completed ? -1 : long.MaxValue;
            return false;
        }
    }

    private void ArmTimer(long dueTicks)
    {
        if (_coarseTimer)
        {
            // System timers truncate to whole milliseconds: round up so we never wake early and spin.
            long waitTicks = Math.Max(0, dueTicks - Now.Ticks);
            long ms = (waitTicks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond;
            _timer.Change(TimeSpan.FromMilliseconds(ms), Timeout.InfiniteTimeSpan);
            return;
        }

        // Exact clocks (a fake clock may be advanced at any moment, even while we arm): arm
        // relative to a reading of the clock that did not change across the arming.
        for (int attempt = 0; attempt < 8; attempt++)
        {
            long before = Now.Ticks;
            _timer.Change(TimeSpan.FromTicks(Math.Max(0, dueTicks - before)), Timeout.InfiniteTimeSpan);
            if (Now.Ticks == before)
            {
                return;
            }
        }

        // The clock keeps moving (a real clock behind a custom provider): a slightly late wake is fine.
    }

    private void Wake() => _wake.Writer.TryWrite(0);

    /// <summary>Closes the line: drops what it holds and ends the consumer's wait.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            while (_held.TryDequeue(out var pooled, out _))
            {
                pooled.Return();
            }
        }

        _timer.Dispose();
        Wake();
    }

    private readonly record struct DeliveryKey(long DeliverAtTicks, long Sequence) : IComparable<DeliveryKey>
    {
        public int CompareTo(DeliveryKey other)
        {
            int c = DeliverAtTicks.CompareTo(other.DeliverAtTicks);
            return c != 0 ? c : Sequence.CompareTo(other.Sequence);
        }
    }
}
