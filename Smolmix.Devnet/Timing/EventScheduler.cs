using Microsoft.Extensions.Logging;

namespace Smolmix.Devnet.Timing;

/// <summary>
/// Runs actions at given times on a <see cref="TimeProvider"/>'s clock, one at a time and in time
/// order (ties in scheduling order), re-arming a single timer for the earliest pending action.
/// Each action receives the time it was scheduled for, so models stay exact even when a fake
/// clock jumps ahead and several actions run in one go.
/// </summary>
internal sealed class EventScheduler : IDisposable
{
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly long _origin;
    private readonly Lock _gate = new();
    private readonly PriorityQueue<Action<TimeSpan>, (long Due, long Order)> _queue = new();
    private readonly ITimer _timer;
    private long _order;
    private long _armedFor = long.MaxValue;
    private bool _draining;
    private bool _disposed;

    /// <summary>Creates a scheduler whose time 0 is now.</summary>
    public EventScheduler(TimeProvider timeProvider, ILogger logger)
    {
        _time = timeProvider;
        _logger = logger;
        _origin = timeProvider.GetTimestamp();
        _timer = timeProvider.CreateTimer(static state => ((EventScheduler)state!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The time since the scheduler was created.</summary>
    public TimeSpan Now => _time.GetElapsedTime(_origin);

    /// <summary>Whether due actions are being run right now (tests on a fake clock wait for this to clear).</summary>
    public bool IsDraining
    {
        get
        {
            lock (_gate)
            {
                return _draining;
            }
        }
    }

    /// <summary>Actions waiting to run.</summary>
    public int Pending
    {
        get
        {
            lock (_gate)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>Runs <paramref name="action"/> at <paramref name="at"/> (scheduler time); a past time means as soon as possible.</summary>
    public void Schedule(TimeSpan at, Action<TimeSpan> action)
    {
        bool startDrain = false;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            long due = at.Ticks;
            _queue.Enqueue(action, (due, _order++));
            if (!_draining)
            {
                if (due <= Now.Ticks)
                {
                    _draining = true;
                    startDrain = true;
                }
                else if (due < _armedFor)
                {
                    Arm(due);
                }
            }
        }

        if (startDrain)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static s => s.Drain(), this, preferLocal: false);
        }
    }

    /// <summary>Runs <paramref name="action"/> after <paramref name="delay"/>.</summary>
    public void ScheduleAfter(TimeSpan delay, Action<TimeSpan> action) => Schedule(Now + delay, action);

    /// <summary>Stops: pending actions are discarded.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _queue.Clear();
        }

        _timer.Dispose();
    }

    private void OnTimer()
    {
        lock (_gate)
        {
            _armedFor = long.MaxValue;
            if (_draining || _disposed)
            {
                return;
            }

            _draining = true;
        }

        Drain();
    }

    private void Drain()
    {
        while (true)
        {
            Action<TimeSpan> action;
            long due;
            lock (_gate)
            {
                if (_disposed)
                {
                    _draining = false;
                    return;
                }

                if (!_queue.TryPeek(out action!, out (long Due, long Order) key) || key.Due > Now.Ticks)
                {
                    _draining = false;
                    if (_queue.Count > 0)
                    {
                        Arm(key.Due);
                    }

                    return;
                }

                _queue.Dequeue();
                due = key.Due;
            }

            try
            {
                action(TimeSpan.FromTicks(due));
            }
            catch (Exception ex)
            {
                _logger.LogError(ex, "A scheduled devnet action failed.");
            }
        }
    }

    private void Arm(long due)
    {
        _armedFor = due;
        // Whole milliseconds, rounded up: real timers have millisecond resolution, and firing early
        // would only re-arm (the action still sees its exact due time).
        long wait = Math.Max(0, due - Now.Ticks);
        long ms = (wait + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond;
        _timer.Change(TimeSpan.FromMilliseconds(ms), Timeout.InfiniteTimeSpan);
    }
}
