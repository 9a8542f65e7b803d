using Microsoft.Extensions.Time.Testing;

namespace Smolmix.Tests.Clocks;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that shows which of its timers are armed, so a test can wait for the code under
/// test to arm a timer before it advances the clock, instead of sleeping and hoping (a lost
/// <see cref="FakeTimeProvider.Advance"/> on a loaded machine would leave the test waiting for its bound).
/// </summary>
internal sealed class WatchedTimeProvider : FakeTimeProvider
{
    private readonly Lock _gate = new();
    private readonly List<Watched> _armed = [];
    private TaskCompletionSource _changed = NewSignal();

    /// <inheritdoc/>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new Watched(this, base.CreateTimer(callback, state, dueTime, period), dueTime);
        lock (_gate)
        {
            _armed.Add(timer);
        }

        Signal();
        return timer;
    }

    /// <summary>Waits (at most <paramref name="bound"/>) until a timer that is not disposed was created with <paramref name="dueTime"/>.</summary>
    public async Task WaitForArmedTimerAsync(TimeSpan dueTime, TimeSpan bound)
    {
        using var timeout = new CancellationTokenSource(bound);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_armed.Any(t => t.DueTime == dueTime))
                {
                    return;
                }

                changed = _changed.Task;
            }

            try
            {
                await changed.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no timer of {dueTime.TotalMilliseconds} ms was armed within {bound.TotalSeconds} s");
            }
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void Signal()
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            changed = _changed;
            _changed = NewSignal();
        }

        changed.SetResult();
    }

    private void Disposed(Watched timer)
    {
        lock (_gate)
        {
            _armed.Remove(timer);
        }

        Signal();
    }

    private sealed class Watched(WatchedTimeProvider owner, ITimer inner, TimeSpan dueTime) : ITimer
    {
        public TimeSpan DueTime { get; private set; } = dueTime;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            bool changed = inner.Change(dueTime, period);
            DueTime = dueTime;
            owner.Signal();
            return changed;
        }

        public void Dispose()
        {
            inner.Dispose();
            owner.Disposed(this);
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
