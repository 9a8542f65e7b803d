namespace Smolmix;

/// <summary>
/// A re-armable wake-up, guarded by the stack lock: waiters register under the lock after checking state,
/// the stack calls <see cref="Set"/> under the lock when anything changed, and the waiters run again
/// asynchronously (never inside the lock). <see cref="Set"/> with nobody waiting costs nothing.
/// </summary>
/// <remarks>
/// Two kinds of waiter: <see cref="WaitAsync"/> with a <see cref="ReusableWaiter"/> (stream reads and writes;
/// no allocation), and <see cref="WaitTask"/> (everything else: a completion source created only when someone
/// asks for it). A wake-up may be spurious: every waiter re-checks its condition under the lock.
/// </remarks>
internal sealed class AsyncSignal
{
    private TaskCompletionSource? _tcs;
    private List<ReusableWaiter>? _waiters;

    /// <summary>The task to await for the next <see cref="Set"/>. Take it under the lock, after checking state.</summary>
    public Task WaitTask => (_tcs ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>
    /// Arms <paramref name="waiter"/> for the next <see cref="Set"/> (under the lock, after checking state; the
    /// caller owns the waiter). Completes cancelled when <paramref name="cancellationToken"/> fires first.
    /// </summary>
    public ValueTask<bool> WaitAsync(ReusableWaiter waiter, CancellationToken cancellationToken)
    {
        var wait = waiter.Arm(cancellationToken);
        _waiters ??= new List<ReusableWaiter>(2);
        // A waiter cancelled since the last Set is still listed: list each once.
        if (!_waiters.Contains(waiter))
        {
            _waiters.Add(waiter);
        }
        return wait;
    }

    /// <summary>Wakes current waiters and re-arms.</summary>
    public void Set()
    {
        var tcs = _tcs;
        if (tcs is not null)
        {
            _tcs = null;
            tcs.TrySetResult();
        }
        var waiters = _waiters;
        if (waiters is { Count: > 0 })
        {
            foreach (var w in waiters)
            {
                w.TrySetResult(true);
            }
            waiters.Clear();
        }
    }
}
