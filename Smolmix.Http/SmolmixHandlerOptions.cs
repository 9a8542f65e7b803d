using System.Net;
using Microsoft.Extensions.Logging;
using Smolmix.Dns;
using Smolmix.Tls;

namespace Smolmix.Http;

/// <summary>
/// Settings of a <see cref="SmolmixHandler"/>. The defaults suit the mixnet: connections are
/// expensive (seconds to open), so they are kept long and reused; names are resolved through the
/// tunnel; nothing follows an environment proxy.
/// </summary>
public sealed class SmolmixHandlerOptions
{
    /// <summary>
    /// The resolver for host names. Null (default): the handler makes its own with
    /// <see cref="ResolverOptions"/> and disposes it with itself. Share one resolver between
    /// handlers to share its cache.
    /// </summary>
    public TunnelResolver? Resolver { get; set; }

    /// <summary>Settings for the handler's own resolver (when <see cref="Resolver"/> is null).</summary>
    public TunnelResolverOptions? ResolverOptions { get; set; }

    /// <summary>TLS validation and ALPN for https (offline chain building, optional pins and roots).</summary>
    public TunnelTlsOptions Tls { get; set; } = new();

    /// <summary>The bound on opening a connection: name resolution, TCP and TLS. Default 60 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// When a host has several addresses, how long one connection attempt runs before the next
    /// address is tried alongside it (RFC 8305, sized for mixnet round trips). Default 2 s.
    /// </summary>
    public TimeSpan ConnectionAttemptDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long an idle pooled connection is kept. Default 5 minutes (mixnet connections are expensive).</summary>
    public TimeSpan PooledConnectionIdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a pooled connection is used at most before it is replaced. Default 15 minutes.</summary>
    public TimeSpan PooledConnectionLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Connections to one server at most. Default 8.</summary>
    public int MaxConnectionsPerServer { get; set; } = 8;

    /// <summary>
    /// Speak HTTP/2 without TLS (h2c, prior knowledge) to <c>http://</c> URLs whose request does not
    /// ask for a version itself. Default false (HTTP/1.1 for http, ALPN for https).
    /// </summary>
    public bool PlaintextHttp2 { get; set; }

    /// <summary>Response decompression. Default all (gzip, deflate, brotli).</summary>
    public DecompressionMethods AutomaticDecompression { get; set; } = DecompressionMethods.All;

    /// <summary>
    /// Keep cookies between requests. Default false: a cookie links requests for the server, which
    /// the mixnet otherwise keeps apart. Turn on for sites that need a session.
    /// </summary>
    public bool UseCookies { get; set; }

    /// <summary>The HTTP/2 receive window of each stream at the start. Default 1 MiB (a mixnet round trip carries a lot).</summary>
    public int InitialHttp2StreamWindowSize { get; set; } = 1024 * 1024;

    /// <summary>Called once each new connection is ready, with how long each step took (for diagnostics and progress displays).</summary>
    public Action<SmolmixConnectionInfo>? ConnectionEstablished { get; set; }

    /// <summary>Where logs go (hosts and addresses only at Debug); null for none.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Tls, nameof(Tls));
        Tls.Validate();
        ResolverOptions?.Validate();
        Positive(ConnectTimeout, nameof(ConnectTimeout));
        Positive(ConnectionAttemptDelay, nameof(ConnectionAttemptDelay));
        Positive(PooledConnectionIdleTimeout, nameof(PooledConnectionIdleTimeout));
        Positive(PooledConnectionLifetime, nameof(PooledConnectionLifetime));
        if (MaxConnectionsPerServer < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxConnectionsPerServer), MaxConnectionsPerServer, "Must be at least 1.");
        }

        if (InitialHttp2StreamWindowSize is < 65535 or > 16 * 1024 * 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(InitialHttp2StreamWindowSize), InitialHttp2StreamWindowSize, "Must be 65,535 to 16 MiB.");
        }
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero && value != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(name, value, "Must be positive.");
        }
    }
}
