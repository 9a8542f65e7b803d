namespace Smolmix.Dns.Resolver;

/// <summary>An answer as stored: what the server said, when, and for how long it holds.</summary>
internal sealed record CachedAnswer(
    DnsResponseCode ResponseCode,
    string CanonicalName,
    DnsRecord[] Records,
    CnameRecord[] Aliases,
    DnsServer? Server,
    long StoredAt,
    TimeSpan TimeToLive);
