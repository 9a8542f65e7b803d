namespace Smolmix;

/// <summary>Why a <see cref="Tunnel"/> could not be established or was lost for good.</summary>
public enum TunnelFailureReason
{
    /// <summary>A cause not covered by the other reasons (see the inner exception).</summary>
    Unknown = 0,

    /// <summary>
    /// Nothing accepted a connection at the nym-client URI (refused, unreachable, or no answer in
    /// <see cref="TunnelOptions.NymClientConnectTimeout"/>): nym-client is probably not running.
    /// </summary>
    NymClientUnreachable = 1,

    /// <summary>
    /// Something listens at the nym-client URI but does not speak nym-client's WebSocket protocol
    /// (the upgrade was refused, or what came back was not valid framing or messages).
    /// </summary>
    NymClientProtocolError = 2,

    /// <summary>The nym-api directory could not be read, so no exit was known.</summary>
    DirectoryUnavailable = 3,

    /// <summary>The directory lists no exit that meets <see cref="ExitDiscoveryOptions"/>.</summary>
    NoExitListed = 4,

    /// <summary>No exit answered a connect request in time (a wrong or dead exit address, or a congested mixnet).</summary>
    NoExitAnswered = 5,

    /// <summary>An exit answered and refused the session (for example, it had no free address).</summary>
    ExitRefused = 6,

    /// <summary>Exits answered, but with none of the protocol versions in <see cref="TunnelOptions.ProtocolVersions"/>.</summary>
    ProtocolVersionMismatch = 7,

    /// <summary>A lost session could not be re-established within <see cref="ReconnectPolicy.MaxRounds"/> (or reconnection is disabled).</summary>
    ReconnectGaveUp = 8,
}

/// <summary>
/// A tunnel could not be established, or failed for good. <see cref="Reason"/> says why; the
/// <see cref="Exception.InnerException"/> is the underlying error (for example a
/// <see cref="System.Net.Sockets.SocketException"/> with <see cref="System.Net.Sockets.SocketError.ConnectionRefused"/>
/// or a <see cref="TimeoutException"/>).
/// </summary>
public sealed class TunnelException : IOException
{
    /// <summary>Creates an exception with <see cref="TunnelFailureReason.Unknown"/>.</summary>
    public TunnelException()
        : this(TunnelFailureReason.Unknown, "The tunnel failed.")
    {
    }

    /// <summary>Creates an exception with <see cref="TunnelFailureReason.Unknown"/>.</summary>
    /// <param name="message">The message.</param>
    public TunnelException(string message)
        : this(TunnelFailureReason.Unknown, message)
    {
    }

    /// <summary>Creates an exception with <see cref="TunnelFailureReason.Unknown"/>.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public TunnelException(string message, Exception? innerException)
        : this(TunnelFailureReason.Unknown, message, innerException)
    {
    }

    /// <summary>Creates an exception for <paramref name="reason"/>.</summary>
    /// <param name="reason">Why the tunnel failed.</param>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public TunnelException(TunnelFailureReason reason, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Reason = reason;
    }

    /// <summary>Why the tunnel failed.</summary>
    public TunnelFailureReason Reason { get; }
}
