using Microsoft.Extensions.Logging;

namespace Smolmix.Bridge;

/// <summary>Log events of the bridge, the exit session and its watchdog (event ids 1401–1499; see docs/DIAGNOSTICS.md).</summary>
internal static partial class BridgeLog
{
    [LoggerMessage(EventId = 1401, Level = LogLevel.Debug, Message = "Sent a keepalive to the exit.")]
    public static partial void KeepaliveSent(ILogger logger);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Debug, Message = "The exit has not answered for {Seconds:0.#} s; probing.")]
    public static partial void Probing(ILogger logger, double seconds);

    [LoggerMessage(EventId = 1403, Level = LogLevel.Debug, Message = "The exit answered a probe ping in {Rtt}.")]
    public static partial void ProbeAnswered(ILogger logger, TimeSpan rtt);

    [LoggerMessage(EventId = 1404, Level = LogLevel.Debug, Message = "A probe ping failed.")]
    public static partial void ProbeFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1405, Level = LogLevel.Debug, Message = "The exit did not acknowledge the disconnect.")]
    public static partial void DisconnectUnacknowledged(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1406, Level = LogLevel.Debug, Message = "The session's packet stream ended.")]
    public static partial void PacketStreamEnded(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1407, Level = LogLevel.Debug, Message = "Sending {Packets} packets to the exit failed.")]
    public static partial void SendFailed(ILogger logger, Exception exception, int packets);
}
