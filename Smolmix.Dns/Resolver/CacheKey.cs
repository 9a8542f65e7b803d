namespace Smolmix.Dns.Resolver;

/// <summary>A question as the cache and the in-flight table know it: the lower-case ASCII name and the type.</summary>
internal readonly record struct CacheKey(string Name, DnsRecordType Type);
