using System.Diagnostics.Metrics;

namespace Smolmix.Dns.Resolver;

/// <summary>The resolver's counters: plain fields for <see cref="TunnelResolverStatistics"/> and the meter "Smolmix.Dns".</summary>
internal sealed class ResolverMetrics : IDisposable
{
    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _lookups;
    private readonly Counter<long> _cacheHits;
    private readonly Counter<long> _queries;
    private readonly Counter<long> _retransmissions;
    private readonly Counter<long> _tcpFallbacks;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _stale;
    private readonly Counter<long> _failures;
    private readonly Histogram<double> _duration;
    private long _lookupCount;
    private long _cacheHitCount;
    private long _coalescedCount;
    private long _queryCount;
    private long _retransmissionCount;
    private long _tcpFallbackCount;
    private long _droppedCount;
    private long _staleCount;
    private long _failureCount;

    public ResolverMetrics(IMeterFactory? factory)
    {
        _meter = factory?.Create("Smolmix.Dns") ?? new Meter("Smolmix.Dns");
        _ownsMeter = factory is null;
        _lookups = _meter.CreateCounter<long>("smolmix.dns.lookups", "{lookup}", "Lookups asked for.");
        _cacheHits = _meter.CreateCounter<long>("smolmix.dns.cache_hits", "{lookup}", "Lookups answered from the cache.");
        _queries = _meter.CreateCounter<long>("smolmix.dns.queries", "{query}", "Queries sent (UDP datagrams, TCP and TLS queries).");
        _retransmissions = _meter.CreateCounter<long>("smolmix.dns.retransmissions", "{query}", "UDP queries sent again after a timeout.");
        _tcpFallbacks = _meter.CreateCounter<long>("smolmix.dns.tcp_fallbacks", "{query}", "Truncated answers retried over TCP.");
        _dropped = _meter.CreateCounter<long>("smolmix.dns.responses_dropped", "{response}", "Malformed or unmatched responses.");
        _stale = _meter.CreateCounter<long>("smolmix.dns.stale_answers", "{lookup}", "Expired answers served (RFC 8767).");
        _failures = _meter.CreateCounter<long>("smolmix.dns.failures", "{lookup}", "Lookups that failed.");
        _duration = _meter.CreateHistogram<double>("smolmix.dns.lookup.duration", "s", "Time to answer a lookup that was not in the cache.");
    }

    public void Lookup() => Count(ref _lookupCount, _lookups);

    public void CacheHit() => Count(ref _cacheHitCount, _cacheHits);

    public void Coalesced() => Interlocked.Increment(ref _coalescedCount);

    public void QuerySent(string transport)
    {
        Interlocked.Increment(ref _queryCount);
        _queries.Add(1, new KeyValuePair<string, object?>("transport", transport));
    }

    public void Retransmission() => Count(ref _retransmissionCount, _retransmissions);

    public void TcpFallback() => Count(ref _tcpFallbackCount, _tcpFallbacks);

    public void ResponseDropped(string reason)
    {
        Interlocked.Increment(ref _droppedCount);
        _dropped.Add(1, new KeyValuePair<string, object?>("reason", reason));
    }

    public void StaleAnswer() => Count(ref _staleCount, _stale);

    public void Failure() => Count(ref _failureCount, _failures);

    public void Resolved(TimeSpan duration) => _duration.Record(duration.TotalSeconds);

    public TunnelResolverStatistics Snapshot(int cached) => new()
    {
        Lookups = Interlocked.Read(ref _lookupCount),
        CacheHits = Interlocked.Read(ref _cacheHitCount),
        Coalesced = Interlocked.Read(ref _coalescedCount),
        QueriesSent = Interlocked.Read(ref _queryCount),
        Retransmissions = Interlocked.Read(ref _retransmissionCount),
        TcpFallbacks = Interlocked.Read(ref _tcpFallbackCount),
        ResponsesDropped = Interlocked.Read(ref _droppedCount),
        StaleAnswers = Interlocked.Read(ref _staleCount),
        Failures = Interlocked.Read(ref _failureCount),
        CachedAnswers = cached,
    };

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    private static void Count(ref long field, Counter<long> counter)
    {
        Interlocked.Increment(ref field);
        counter.Add(1);
    }
}
