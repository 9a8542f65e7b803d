namespace Smolmix.Dns;

/// <summary>A snapshot of what a <see cref="TunnelResolver"/> has done since it was created.</summary>
public sealed record TunnelResolverStatistics
{
    /// <summary>Lookups asked for (every call, cached or not; A and AAAA of one host lookup count as two).</summary>
    public long Lookups { get; init; }

    /// <summary>Lookups answered from the cache without a query.</summary>
    public long CacheHits { get; init; }

    /// <summary>Lookups that joined a query already in flight for the same question.</summary>
    public long Coalesced { get; init; }

    /// <summary>Queries sent: each UDP datagram (retransmissions included) and each TCP or TLS query.</summary>
    public long QueriesSent { get; init; }

    /// <summary>UDP retransmissions (included in <see cref="QueriesSent"/>).</summary>
    public long Retransmissions { get; init; }

    /// <summary>Truncated UDP answers retried over TCP.</summary>
    public long TcpFallbacks { get; init; }

    /// <summary>Responses dropped: malformed, or not matching an outstanding query (ID, question, server address and port).</summary>
    public long ResponsesDropped { get; init; }

    /// <summary>Expired answers served because no server answered in time (RFC 8767).</summary>
    public long StaleAnswers { get; init; }

    /// <summary>Lookups that failed (the caller got an exception).</summary>
    public long Failures { get; init; }

    /// <summary>Answers in the cache now.</summary>
    public int CachedAnswers { get; init; }
}
