using System.Threading.Tasks.Sources;

namespace Smolmix;

/// <summary>
/// One wait at a time for a wake-up, reused without allocating: the <see cref="IValueTaskSource{TResult}"/>
/// behind the stack's hot waits (a stream read or write waiting for the connection, a device read loop
/// waiting for a packet). Continuations always run asynchronously, so whoever wakes the waiter (under a
/// lock) never runs the waiting code.
/// </summary>
/// <remarks>
/// Rules, which keep a reused source from completing the wrong wait:
/// <list type="bullet">
/// <item>One owner at a time calls <see cref="Arm"/>, and only after the previous <see cref="ValueTask{TResult}"/>
/// it returned has been awaited to the end. Owners that can race take the waiter with <see cref="TryAcquire"/>
/// and give it back with <see cref="Release"/> after that await, or let the await give it back (a waiter made
/// with <c>releaseOnResult</c> releases itself once its result has been taken).</item>
/// <item><see cref="Arm"/> and <see cref="TrySetResult"/> are called under the same lock (the owner's); so a
/// wake-up never meets a waiter being re-armed.</item>
/// <item>Cancellation may complete the wait from any thread. Whichever of wake-up and cancellation comes
/// first completes it (an interlocked flag); the other does nothing. The cancellation registration is
/// disposed when the result is taken, so an old token never reaches a later wait.</item>
/// </list>
/// </remarks>
internal sealed class ReusableWaiter : IValueTaskSource<bool>
{
    private static readonly Action<object?, CancellationToken> s_cancel =
        static (state, token) => ((ReusableWaiter)state!).Cancel(token);

    private ManualResetValueTaskSourceCore<bool> _core;
    private CancellationTokenRegistration _registration;
    private readonly bool _releaseOnResult;
    private int _armed;
    private int _owned;

    /// <summary>Creates an idle waiter.</summary>
    /// <param name="releaseOnResult">Release the waiter (see <see cref="TryAcquire"/>) when the awaiter takes the result.</param>
    public ReusableWaiter(bool releaseOnResult = false)
    {
        _core.RunContinuationsAsynchronously = true;
        _releaseOnResult = releaseOnResult;
    }

    /// <summary>True while a wait is armed and not yet woken or cancelled.</summary>
    public bool IsArmed => Volatile.Read(ref _armed) != 0;

    /// <summary>Takes the waiter for one operation; false when another operation holds it.</summary>
    public bool TryAcquire() => Interlocked.CompareExchange(ref _owned, 1, 0) == 0;

    /// <summary>Gives the waiter back (after the operation's last await has finished).</summary>
    public void Release() => Volatile.Write(ref _owned, 0);

    /// <summary>
    /// Starts a new wait (under the owner's lock). The returned task completes with the value given to
    /// <see cref="TrySetResult"/>, or throws <see cref="OperationCanceledException"/> when
    /// <paramref name="cancellationToken"/> fires first.
    /// </summary>
    public ValueTask<bool> Arm(CancellationToken cancellationToken)
    {
        if (IsArmed)
        {
            throw new InvalidOperationException("Another wait is already pending on this waiter.");
        }
        _core.Reset();
        Volatile.Write(ref _armed, 1);
        if (cancellationToken.CanBeCanceled)
        {
            // Runs the callback at once if the token is already cancelled: the wait then completes cancelled.
            _registration = cancellationToken.UnsafeRegister(s_cancel, this);
        }
        return new ValueTask<bool>(this, _core.Version);
    }

    /// <summary>Completes the armed wait with <paramref name="value"/>; false when nothing was armed.</summary>
    public bool TrySetResult(bool value)
    {
        if (Volatile.Read(ref _armed) == 0 || Interlocked.Exchange(ref _armed, 0) == 0)
        {
            return false;
        }
        _core.SetResult(value);
        return true;
    }

    private void Cancel(CancellationToken token)
    {
        if (Interlocked.Exchange(ref _armed, 0) != 0)
        {
            _core.SetException(new OperationCanceledException(token));
        }
    }

    /// <inheritdoc/>
    public bool GetResult(short token)
    {
        if (_core.GetStatus(token) == ValueTaskSourceStatus.Pending)
        {
            throw new InvalidOperationException("The wait has not completed.");
        }
        // Completed, so no later Arm can have started: the registration is this wait's. Dispose waits for a
        // cancellation callback that is still running.
        var registration = _registration;
        _registration = default;
        registration.Dispose();
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            if (_releaseOnResult)
            {
                Release(); // the awaiter is done with this wait: the next owner may arm it
            }
        }
    }

    /// <inheritdoc/>
    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    /// <inheritdoc/>
    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
