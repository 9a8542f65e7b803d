using Microsoft.Extensions.Logging;

namespace Smolmix.Http;

/// <summary>The handler's log messages; hosts appear only at Debug.</summary>
internal static partial class HttpLog
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Debug, Message = "Connecting to {Host}:{Port} ({Addresses} addresses)")]
    public static partial void Connecting(ILogger logger, string host, int port, int addresses);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "The ConnectionEstablished callback threw")]
    public static partial void CallbackFailed(ILogger logger, Exception exception);
}
