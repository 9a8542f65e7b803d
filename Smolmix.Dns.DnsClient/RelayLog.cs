using Microsoft.Extensions.Logging;

namespace Smolmix.Dns.DnsClient;

/// <summary>The relay's log messages. Endpoints appear only at Debug; names never.</summary>
internal static partial class RelayLog
{
    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "DnsClient relay listening on loopback (UDP and TCP)")]
    public static partial void Started(ILogger logger);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Debug, Message = "DnsClient relay endpoint {EndPoint}")]
    public static partial void Bound(ILogger logger, System.Net.IPEndPoint endPoint);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Debug, Message = "Dropped a query to the relay: {Reason}")]
    public static partial void Dropped(ILogger logger, string reason);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Debug, Message = "The resolver failed a relayed query; answering SERVFAIL: {Reason}")]
    public static partial void ServerFailure(ILogger logger, string reason);

    [LoggerMessage(EventId = 4105, Level = LogLevel.Debug, Message = "A relayed answer of {Length} bytes exceeds the client's {Limit}; sent truncated")]
    public static partial void Truncated(ILogger logger, int length, int limit);

    [LoggerMessage(EventId = 4106, Level = LogLevel.Warning, Message = "The DnsClient relay's {Transport} loop stopped unexpectedly")]
    public static partial void LoopFailed(ILogger logger, string transport, Exception exception);

    [LoggerMessage(EventId = 4107, Level = LogLevel.Debug, Message = "A TCP connection to the relay ended: {Reason}")]
    public static partial void ConnectionEnded(ILogger logger, string reason);
}
