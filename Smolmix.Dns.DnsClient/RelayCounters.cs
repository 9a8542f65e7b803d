namespace Smolmix.Dns.DnsClient;

/// <summary>The relay's counters, updated atomically.</summary>
internal sealed class RelayCounters
{
    private long _received;
    private long _relayed;
    private long _dropped;
    private long _truncated;
    private long _serverFailures;

    public long Received => Interlocked.Read(ref _received);

    public long Relayed => Interlocked.Read(ref _relayed);

    public long Dropped => Interlocked.Read(ref _dropped);

    public long Truncated => Interlocked.Read(ref _truncated);

    public long ServerFailures => Interlocked.Read(ref _serverFailures);

    public void Receive() => Interlocked.Increment(ref _received);

    public void Relay() => Interlocked.Increment(ref _relayed);

    public void Drop() => Interlocked.Increment(ref _dropped);

    public void Truncate() => Interlocked.Increment(ref _truncated);

    public void ServerFailure() => Interlocked.Increment(ref _serverFailures);
}
