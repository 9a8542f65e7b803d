namespace Smolmix.Nym;

/// <summary>Why an exit refused a connect (<c>ConnectFailureReason</c>).</summary>
internal enum IprConnectFailureReason : byte
{
    /// <summary>The sender tag already has a session.</summary>
    ClientAlreadyConnected = 0,

    /// <summary>The exit found no free address pair.</summary>
    NoAvailableIp = 1,

    /// <summary>Another reason, described by a string.</summary>
    Other = 2,
}

/// <summary>Why an exit refused a disconnect (<c>DisconnectFailureReason</c>).</summary>
internal enum IprDisconnectFailureReason : byte
{
    /// <summary>The sender tag had no session.</summary>
    ClientNotConnected = 0,

    /// <summary>Another reason, described by a string.</summary>
    Other = 1,
}

/// <summary>Why an exit dropped a session on its own (<c>UnrequestedDisconnect</c>).</summary>
internal enum IprUnrequestedDisconnectReason : byte
{
    /// <summary>No mixnet traffic from the client for too long.</summary>
    ClientMixnetTrafficTimeout = 0,

    /// <summary>No TUN traffic for the client for too long.</summary>
    ClientTunTrafficTimeout = 1,

    /// <summary>Another reason, described by a string.</summary>
    Other = 2,
}

/// <summary>Severity of an info response.</summary>
internal enum IprInfoLevel : byte
{
    /// <summary>Informational.</summary>
    Info = 0,

    /// <summary>A warning, e.g. a packet denied by the exit policy.</summary>
    Warn = 1,

    /// <summary>An error.</summary>
    Error = 2,
}
