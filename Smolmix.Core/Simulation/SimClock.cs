namespace Smolmix.Simulation;

/// <summary>
/// Virtual time for discrete-event simulation: a <see cref="TimeProvider"/> whose timers fire only
/// when <see cref="RunNext"/> advances the clock to them. Single-threaded by design.
/// </summary>
internal sealed class SimClock : TimeProvider
{
    private readonly PriorityQueue<SimEvent, (long Due, long Order)> _events = new();
    private long _order;

    /// <summary>Current virtual time in ticks (100 ns).</summary>
    public long NowTicks { get; private set; }

    /// <summary>Current virtual time.</summary>
    public TimeSpan Now => TimeSpan.FromTicks(NowTicks);

    /// <inheritdoc/>
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <inheritdoc/>
    public override long GetTimestamp() => NowTicks;

    /// <inheritdoc/>
    public override DateTimeOffset GetUtcNow() => new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(NowTicks);

    /// <summary>Schedules an action at an absolute virtual time.</summary>
    public void Schedule(TimeSpan at, Action action)
    {
        var e = new SimEvent { Action = action };
        _events.Enqueue(e, (Math.Max(at.Ticks, NowTicks), _order++));
    }

    /// <summary>Time of the next live event, or null.</summary>
    public TimeSpan? NextEventTime
    {
        get
        {
            while (_events.TryPeek(out var e, out var p))
            {
                if (!e.Cancelled)
                {
                    return TimeSpan.FromTicks(p.Due);
                }
                _events.Dequeue();
            }
            return null;
        }
    }

    /// <summary>Advances to the next event and runs it; false when none is left.</summary>
    public bool RunNext()
    {
        while (_events.TryDequeue(out var e, out var p))
        {
            if (e.Cancelled)
            {
                continue;
            }
            NowTicks = Math.Max(NowTicks, p.Due);
            e.Action!();
            return true;
        }
        return false;
    }

    /// <inheritdoc/>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var t = new SimTimer(this, callback, state);
        t.Change(dueTime, period);
        return t;
    }

    private sealed class SimEvent
    {
        public Action? Action;
        public bool Cancelled;
    }

    private sealed class SimTimer : ITimer
    {
        private readonly SimClock _clock;
        private readonly TimerCallback _callback;
        private readonly object? _state;
        private SimEvent? _pending;
        private TimeSpan _period = Timeout.InfiniteTimeSpan;

        public SimTimer(SimClock clock, TimerCallback callback, object? state)
        {
            _clock = clock;
            _callback = callback;
            _state = state;
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            if (_pending is not null)
            {
                _pending.Cancelled = true;
                _pending = null;
            }
            _period = period;
            if (dueTime == Timeout.InfiniteTimeSpan)
            {
                return true;
            }
            Arm(dueTime);
            return true;
        }

        private void Arm(TimeSpan due)
        {
            var e = new SimEvent();
            e.Action = () =>
            {
                if (_pending == e)
                {
                    _pending = null;
                }
                if (_period != Timeout.InfiniteTimeSpan && _period > TimeSpan.Zero)
                {
                    Arm(_period);
                }
                _callback(_state);
            };
            _pending = e;
            _clock._events.Enqueue(e, (_clock.NowTicks + Math.Max(0, due.Ticks), _clock._order++));
        }

        public void Dispose() => Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
