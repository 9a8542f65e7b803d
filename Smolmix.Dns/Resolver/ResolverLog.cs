using Microsoft.Extensions.Logging;

namespace Smolmix.Dns.Resolver;

/// <summary>The resolver's log messages. Names and server addresses appear only at Debug.</summary>
internal static partial class ResolverLog
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Debug, Message = "Resolving {Name} {Type} via {Server}")]
    public static partial void Querying(ILogger logger, string name, DnsRecordType type, DnsServer server);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Debug, Message = "No answer for {Name} {Type} from {Server}; transmission {Attempt}")]
    public static partial void Retransmitting(ILogger logger, string name, DnsRecordType type, DnsServer server, int attempt);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Debug, Message = "Dropped a malformed response from {Server}: {Reason}")]
    public static partial void MalformedResponse(ILogger logger, DnsServer server, string reason);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Debug, Message = "Truncated answer for {Name} {Type} from {Server}; asking over TCP")]
    public static partial void TcpFallback(ILogger logger, string name, DnsRecordType type, DnsServer server);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Debug, Message = "The DNS server {Server} failed for {Name} {Type}: {Reason}")]
    public static partial void ServerFailed(ILogger logger, DnsServer server, string name, DnsRecordType type, string reason);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Debug, Message = "Serving a stale answer for {Name} {Type}")]
    public static partial void ServingStale(ILogger logger, string name, DnsRecordType type);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Information, Message = "A DNS lookup failed on every server ({Servers} tried): {Reason}")]
    public static partial void LookupFailed(ILogger logger, int servers, string reason);
}
