using Microsoft.Extensions.Logging;

namespace Smolmix.Nym;

/// <summary>Log events of <see cref="NymClientConnection"/> (event ids 1101–1199; see docs/DIAGNOSTICS.md).</summary>
internal static partial class NymClientLog
{
    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "The nym-client WebSocket at {Endpoint} closed; reconnecting ({Suppressed} more since the last report).")]
    public static partial void SocketClosed(ILogger logger, Uri endpoint, int suppressed);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "Reconnected to nym-client at {Endpoint}.")]
    public static partial void Reconnected(ILogger logger, Uri endpoint);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Error, Message = "The connection to nym-client at {Endpoint} failed for good ({Suppressed} more since the last report).")]
    public static partial void FailedForGood(ILogger logger, Exception exception, Uri endpoint, int suppressed);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Debug, Message = "Reconnection attempt {Attempt} to nym-client failed.")]
    public static partial void ReconnectAttemptFailed(ILogger logger, Exception exception, int attempt);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Warning, Message = "Ignoring a malformed message from nym-client: {Error} ({Suppressed} more since the last report).")]
    public static partial void MalformedMessage(ILogger logger, string error, int suppressed);

    [LoggerMessage(EventId = 1106, Level = LogLevel.Warning, Message = "Ignoring a text frame from nym-client; only binary frames are used ({Suppressed} more since the last report).")]
    public static partial void TextFrame(ILogger logger, int suppressed);

    [LoggerMessage(EventId = 1107, Level = LogLevel.Warning, Message = "Discarding a nym-client message larger than {Max} bytes ({Suppressed} more since the last report).")]
    public static partial void OversizedMessage(ILogger logger, int max, int suppressed);

    [LoggerMessage(EventId = 1108, Level = LogLevel.Warning, Message = "nym-client reported {Kind}: {Error} ({Suppressed} more since the last report).")]
    public static partial void ErrorReported(ILogger logger, NymClientErrorKind kind, string error, int suppressed);

    [LoggerMessage(EventId = 1109, Level = LogLevel.Debug, Message = "The nym-client WebSocket failed while receiving.")]
    public static partial void ReceiveFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1110, Level = LogLevel.Warning, Message = "The nym-client receive loop did not stop within {Timeout}.")]
    public static partial void ReceiveLoopStuck(ILogger logger, TimeSpan timeout);

    [LoggerMessage(EventId = 1111, Level = LogLevel.Debug, Message = "Sending to nym-client failed; waiting for the connection to come back.")]
    public static partial void SendFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1112, Level = LogLevel.Debug, Message = "Closing the nym-client WebSocket did not complete cleanly.")]
    public static partial void CloseUnclean(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1113, Level = LogLevel.Debug, Message = "nym-client closed the WebSocket ({Status}).")]
    public static partial void ClosedByPeer(ILogger logger, System.Net.WebSockets.WebSocketCloseStatus? status);
}
