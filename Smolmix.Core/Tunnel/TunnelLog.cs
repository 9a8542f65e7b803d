using Microsoft.Extensions.Logging;

namespace Smolmix;

/// <summary>Log events of <see cref="Tunnel"/> (event ids 1001–1099; see docs/DIAGNOSTICS.md).</summary>
internal static partial class TunnelLog
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Tunnel state {Previous} -> {State} ({Reason}).")]
    public static partial void StateChanged(ILogger logger, TunnelState previous, TunnelState state, string? reason);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Tunnel ready: protocol v{Version}, MTU {Mtu}.")]
    public static partial void Ready(ILogger logger, int version, int mtu);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Debug, Message = "Exit {Exit}, addresses {Ipv4} / {Ipv6}.")]
    public static partial void ReadyDetail(ILogger logger, string exit, System.Net.IPAddress ipv4, System.Net.IPAddress? ipv6);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "No exit answered; trying again in {Delay} ({Suppressed} more since the last report).")]
    public static partial void RetryingExits(ILogger logger, TimeSpan delay, int suppressed);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "Exit discovery failed: {Error} ({Suppressed} more since the last report).")]
    public static partial void DiscoveryFailed(ILogger logger, string error, int suppressed);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Information, Message = "An exit could not be connected ({Error}); trying the next ({Suppressed} more since the last report).")]
    public static partial void ExitFailed(ILogger logger, string error, int suppressed);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Debug, Message = "Exit {Exit} failed.")]
    public static partial void ExitFailedDetail(ILogger logger, Exception exception, string exit);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Warning, Message = "nym-client is not usable ({Reason}: {Error}); trying again in {Delay} ({Suppressed} more since the last report).")]
    public static partial void NymClientDown(ILogger logger, TunnelFailureReason reason, string error, TimeSpan delay, int suppressed);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Warning, Message = "The session was lost: {Reason}.")]
    public static partial void SessionLost(ILogger logger, string reason);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Error, Message = "The tunnel gave up reconnecting: {Error}")]
    public static partial void GaveUp(ILogger logger, string error);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Error, Message = "The tunnel supervisor failed.")]
    public static partial void SupervisorFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning, Message = "A StateChanged handler threw.")]
    public static partial void HandlerThrew(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Debug, Message = "A TCP connect was interrupted by a session loss; retrying on the new session.")]
    public static partial void TcpConnectRetried(ILogger logger);

    [LoggerMessage(EventId = 1014, Level = LogLevel.Debug, Message = "Connecting to exit {Exit}.")]
    public static partial void ConnectingToExit(ILogger logger, string exit);

    [LoggerMessage(EventId = 1015, Level = LogLevel.Debug, Message = "The tunnel supervisor ended with an error.")]
    public static partial void SupervisorEnded(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1016, Level = LogLevel.Warning, Message = "The tunnel could not be established: {Reason}.")]
    public static partial void ConnectFailed(ILogger logger, TunnelFailureReason reason);
}
