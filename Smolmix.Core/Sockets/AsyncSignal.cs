namespace Smolmix;

/// <summary>
/// A re-armable wake-up: waiters take the current task, the stack completes it (under its lock;
/// continuations run asynchronously, never inside the lock).
/// </summary>
internal sealed class AsyncSignal
{
    private TaskCompletionSource _tcs = NewTcs();

    private static TaskCompletionSource NewTcs() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The task to await for the next <see cref="Set"/>. Take it under the lock, after checking state.</summary>
    public Task WaitTask => _tcs.Task;

    /// <summary>Wakes current waiters and re-arms.</summary>
    public void Set()
    {
        var old = _tcs;
        if (old.Task.IsCompleted)
        {
            return;
        }
        _tcs = NewTcs();
        old.TrySetResult();
    }
}
