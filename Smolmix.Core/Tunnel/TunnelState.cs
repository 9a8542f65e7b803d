namespace Smolmix;

/// <summary>The lifecycle of a <see cref="Tunnel"/>.</summary>
public enum TunnelState
{
    /// <summary>The first session to an exit is being established.</summary>
    Connecting,

    /// <summary>A session to an exit carries traffic.</summary>
    Ready,

    /// <summary>The session was lost; the tunnel is establishing a new one (possibly through another exit).</summary>
    Reconnecting,

    /// <summary>The reconnect policy gave up; the tunnel carries no more traffic. Dispose it.</summary>
    Failed,

    /// <summary>The tunnel was disposed.</summary>
    Closed,
}
