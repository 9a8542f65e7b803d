namespace Smolmix;

/// <summary>Describes a change of <see cref="Tunnel.State"/>.</summary>
public sealed class TunnelStateChangedEventArgs : EventArgs
{
    /// <summary>Creates the event data.</summary>
    /// <param name="previousState">The state before the change.</param>
    /// <param name="state">The new state.</param>
    /// <param name="reason">Why the state changed, in words, or null.</param>
    /// <param name="exception">The error behind the change, or null.</param>
    public TunnelStateChangedEventArgs(TunnelState previousState, TunnelState state, string? reason, Exception? exception)
    {
        PreviousState = previousState;
        State = state;
        Reason = reason;
        Exception = exception;
    }

    /// <summary>The state before the change.</summary>
    public TunnelState PreviousState { get; }

    /// <summary>The new state.</summary>
    public TunnelState State { get; }

    /// <summary>Why the state changed, in words (never names a destination), or null.</summary>
    public string? Reason { get; }

    /// <summary>The error behind the change, or null.</summary>
    public Exception? Exception { get; }
}
