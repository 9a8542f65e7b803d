using System.Diagnostics.Metrics;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace Smolmix.Dns;

/// <summary>
/// Settings of a <see cref="TunnelResolver"/>. The defaults suit the Nym mixnet: round trips of
/// 0.5–5 s, so retransmissions are timed from the measured round trip, a lookup has a generous
/// overall bound, and answers are cached.
/// </summary>
public sealed class TunnelResolverOptions
{
    /// <summary>The servers, tried in turn (the first that answers wins); defaults to <see cref="DnsServer.Defaults"/>.</summary>
    public IList<DnsServer> Servers { get; set; } = [.. DnsServer.Defaults];

    /// <summary>The bound on one lookup, across every server and retransmission. Default 30 s.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Queries sent to one server over UDP before the next server is tried. Default 2.</summary>
    public int AttemptsPerServer { get; set; } = 2;

    /// <summary>
    /// The retransmission timeout before any round trip has been measured. Default 3 s (a mixnet round
    /// trip is 0.5–5 s); afterwards it is the smoothed round trip plus four deviations, as TCP does.
    /// </summary>
    public TimeSpan InitialRetransmitTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// The smallest retransmission timeout. Default 1 s (RFC 6298's floor): a mixnet round trip
    /// varies widely with load, and a burst of lookups queues behind the sending rate, so a tighter
    /// floor retransmits queries that were only waiting.
    /// </summary>
    public TimeSpan MinRetransmitTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The largest retransmission timeout. Default 12 s.</summary>
    public TimeSpan MaxRetransmitTimeout { get; set; } = TimeSpan.FromSeconds(12);

    /// <summary>The UDP payload size advertised with EDNS(0). Default 1232 (DNS flag day 2020).</summary>
    public int EdnsPayloadSize { get; set; } = 1232;

    /// <summary>Answers kept in the cache at most (least recently used leave first); 0 turns the cache off. Default 2,048.</summary>
    public int CacheSize { get; set; } = 2048;

    /// <summary>The longest a positive answer is cached, whatever its TTL. Default 1 day.</summary>
    public TimeSpan MaxCacheTtl { get; set; } = TimeSpan.FromDays(1);

    /// <summary>The longest a negative answer (NXDOMAIN or no data) is cached (RFC 2308 takes it from the SOA). Default 15 minutes.</summary>
    public TimeSpan MaxNegativeCacheTtl { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Serve stale answers (RFC 8767): when no server answers (for example while the tunnel
    /// reconnects), an expired cached answer no older than <see cref="MaxStaleAge"/> is returned
    /// with a TTL of <see cref="StaleAnswerTtl"/>. Default off.
    /// </summary>
    public bool ServeStale { get; set; }

    /// <summary>
    /// With <see cref="ServeStale"/>: how long a lookup whose cached answer has expired waits for a
    /// fresh one before it is given the stale one (the refresh goes on and fills the cache). Default 5 s.
    /// </summary>
    public TimeSpan StaleAnswerDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long after expiry an answer may still be served stale. Default 1 day.</summary>
    public TimeSpan MaxStaleAge { get; set; } = TimeSpan.FromDays(1);

    /// <summary>The TTL given to a stale answer. Default 30 s (RFC 8767).</summary>
    public TimeSpan StaleAnswerTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// For DNS over TLS: certificates to trust instead of the system's roots (for a private CA). The
    /// chain is always built offline: no intermediate or revocation fetch ever leaves the machine.
    /// </summary>
    public X509Certificate2Collection? TlsTrustedRoots { get; set; }

    /// <summary>The bound on a TCP or TLS connect and handshake to a server. Default 20 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Where logs go (names and addresses only at Debug); null for none.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Where the meter "Smolmix.Dns" is created; null for a meter of its own.</summary>
    public IMeterFactory? MeterFactory { get; set; }

    /// <summary>The clock for timeouts and TTLs.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public void Validate()
    {
        if (Servers is null || Servers.Count == 0)
        {
            throw new ArgumentException("At least one DNS server is needed.", nameof(Servers));
        }

        foreach (DnsServer s in Servers)
        {
            ArgumentNullException.ThrowIfNull(s, nameof(Servers));
        }

        Positive(Timeout, nameof(Timeout));
        Positive(InitialRetransmitTimeout, nameof(InitialRetransmitTimeout));
        Positive(MinRetransmitTimeout, nameof(MinRetransmitTimeout));
        Positive(ConnectTimeout, nameof(ConnectTimeout));
        if (MaxRetransmitTimeout < MinRetransmitTimeout)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRetransmitTimeout), MaxRetransmitTimeout, "Must not be less than MinRetransmitTimeout.");
        }

        if (AttemptsPerServer is < 1 or > 10)
        {
            throw new ArgumentOutOfRangeException(nameof(AttemptsPerServer), AttemptsPerServer, "Must be 1 to 10.");
        }

        if (EdnsPayloadSize is < 512 or > 4096)
        {
            throw new ArgumentOutOfRangeException(nameof(EdnsPayloadSize), EdnsPayloadSize, "Must be 512 to 4096.");
        }

        if (CacheSize < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(CacheSize), CacheSize, "Must not be negative.");
        }

        NotNegative(MaxCacheTtl, nameof(MaxCacheTtl));
        NotNegative(MaxNegativeCacheTtl, nameof(MaxNegativeCacheTtl));
        NotNegative(MaxStaleAge, nameof(MaxStaleAge));
        Positive(StaleAnswerTtl, nameof(StaleAnswerTtl));
        NotNegative(StaleAnswerDelay, nameof(StaleAnswerDelay));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, value, "Must be positive.");
        }
    }

    private static void NotNegative(TimeSpan value, string name)
    {
        if (value < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, value, "Must not be negative.");
        }
    }
}
