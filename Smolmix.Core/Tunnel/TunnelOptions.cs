using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace Smolmix;

/// <summary>
/// Settings of a <see cref="Tunnel"/>. Defaults suit the public Nym mixnet through a local
/// nym-client daemon.
/// </summary>
public sealed class TunnelOptions
{
    /// <summary>nym-client's default WebSocket endpoint.</summary>
    public static readonly Uri DefaultNymClient = new("ws://127.0.0.1:1977");

    /// <summary>The mainnet nym-api directory.</summary>
    public static readonly Uri DefaultNymApi = new("https://validator.nymtech.net/api/");

    /// <summary>The nym-client WebSocket endpoint (default ws://127.0.0.1:1977).</summary>
    public Uri NymClient { get; set; } = DefaultNymClient;

    /// <summary>
    /// IP packet router exits to use, as Nym addresses, in order of preference; when one fails to
    /// connect or dies the next is tried. Empty (default): discover exits in the directory.
    /// </summary>
    public IReadOnlyList<string> Exits { get; set; } = [];

    /// <summary>The nym-api directory used for discovery (default mainnet).</summary>
    public Uri NymApi { get; set; } = DefaultNymApi;

    /// <summary>
    /// The proxy for the tunnel's own connections: the WebSocket to nym-client and the nym-api
    /// directory queries. Null (default): no proxy at all. The tunnel never follows HTTP_PROXY,
    /// HTTPS_PROXY, ALL_PROXY or a system proxy on its own; a connection goes through a proxy only
    /// when one is named here.
    /// </summary>
    public System.Net.IWebProxy? Proxy { get; set; }

    /// <summary>Discovery settings (used when <see cref="Exits"/> is empty).</summary>
    public ExitDiscoveryOptions Discovery { get; set; } = new();

    /// <summary>Bound on <see cref="Tunnel.ConnectAsync"/>: discovery and trying exits until one answers (default 3 min).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>Bound on opening the WebSocket to nym-client (default 10 s).</summary>
    public TimeSpan NymClientConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>IP packet router protocol versions to offer, most preferred first (default 10, 9, 8).</summary>
    public IReadOnlyList<int> ProtocolVersions { get; set; } = [10, 9, 8];

    /// <summary>How long each protocol version's connect request waits for the exit's answer before the next version is tried (default 15 s).</summary>
    public TimeSpan ProtocolVersionTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Default bound on <see cref="Tunnel.ConnectTcpAsync"/>, including any wait for the tunnel to be ready (default 60 s).</summary>
    public TimeSpan TcpConnectTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Bound on <see cref="Tunnel.PingAsync"/> (default 30 s).</summary>
    public TimeSpan PingTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// After this long without sending any IP packet the tunnel sends a keepalive (an ICMP echo to
    /// the exit's gateway, 10.0.0.1), because exits drop clients after 60 s without data
    /// (default 20 s; at most 50 s).
    /// </summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// A session is considered lost when nothing has come back from the exit for this long after
    /// the tunnel sent something (a probe is sent halfway) (default 30 s).
    /// </summary>
    public TimeSpan LivenessTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long disposing waits for the exit to acknowledge the disconnect (default 5 s).</summary>
    public TimeSpan DisconnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the exit may hold return packets to fill a bundle, in milliseconds; null leaves the exit's default (20 ms).</summary>
    public int? ExitBufferTimeoutMs { get; set; }

    /// <summary>The MTU used when the exit does not report one (pre-v10 exits; default 1420).</summary>
    public int FallbackMtu { get; set; } = 1420;

    /// <summary>An upper bound on the MTU the exit reports; null (default) uses the exit's.</summary>
    public int? MaxMtu { get; set; }

    /// <summary>Reply SURB policy.</summary>
    public SurbOptions Surbs { get; set; } = new();

    /// <summary>Bundling of outgoing packets into mixnet messages.</summary>
    public BundlingOptions Bundling { get; set; } = new();

    /// <summary>Reconnection and exit failover.</summary>
    public ReconnectPolicy Reconnect { get; set; } = new();

    /// <summary>
    /// Options of the userspace TCP/IP stack. Its <see cref="StackOptions.Mtu"/>,
    /// <see cref="StackOptions.TimeProvider"/>, <see cref="StackOptions.LoggerFactory"/> and
    /// <see cref="StackOptions.MeterFactory"/> are replaced by the tunnel's.
    /// </summary>
    public StackOptions Stack { get; set; } = new();

    /// <summary>Logger factory; null logs nothing. Nothing above Debug names a destination or address.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Meter factory for the "Smolmix.Tunnel" and "Smolmix.Stack" meters; null creates unshared meters.</summary>
    public IMeterFactory? MeterFactory { get; set; }

    /// <summary>Clock for every timer of the tunnel and its stack (tests pass a fake).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Throws <see cref="ArgumentException"/> (or a subclass) for invalid settings.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(NymClient);
        if (!NymClient.IsAbsoluteUri || NymClient.Scheme is not ("ws" or "wss"))
        {
            throw new ArgumentException("NymClient must be an absolute ws:// or wss:// URI.", nameof(NymClient));
        }

        ArgumentNullException.ThrowIfNull(Exits);
        foreach (string exit in Exits)
        {
            if (!Nym.NymAddress.TryParse(exit, out _))
            {
                throw new ArgumentException("Every exit must be a valid Nym address.", nameof(Exits));
            }
        }

        ArgumentNullException.ThrowIfNull(NymApi);
        if (!NymApi.IsAbsoluteUri || NymApi.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException("NymApi must be an absolute http:// or https:// URI.", nameof(NymApi));
        }

        ArgumentNullException.ThrowIfNull(ProtocolVersions);
        if (ProtocolVersions.Count == 0 || ProtocolVersions.Any(v => v is not (8 or 9 or 10)) || ProtocolVersions.Distinct().Count() != ProtocolVersions.Count)
        {
            throw new ArgumentException("ProtocolVersions must list distinct versions among 8, 9 and 10.", nameof(ProtocolVersions));
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ConnectTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(NymClientConnectTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ProtocolVersionTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(TcpConnectTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(PingTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(KeepAliveInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(KeepAliveInterval, TimeSpan.FromSeconds(50));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(LivenessTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(DisconnectTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegative(ExitBufferTimeoutMs ?? 0);
        ArgumentOutOfRangeException.ThrowIfLessThan(FallbackMtu, 1280);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(FallbackMtu, 65535);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxMtu ?? 1280, 1280);
        ArgumentNullException.ThrowIfNull(Discovery);
        ArgumentNullException.ThrowIfNull(Surbs);
        ArgumentNullException.ThrowIfNull(Bundling);
        ArgumentNullException.ThrowIfNull(Reconnect);
        ArgumentNullException.ThrowIfNull(Stack);
        ArgumentNullException.ThrowIfNull(TimeProvider);
        Discovery.Validate();
        Surbs.Validate();
        Bundling.Validate();
        Reconnect.Validate();
        Stack.Validate();
    }

    /// <summary>A deep copy of the option objects (factories, handlers and the clock are shared).</summary>
    public TunnelOptions Clone()
    {
        var copy = (TunnelOptions)MemberwiseClone();
        copy.Exits = [.. Exits];
        copy.ProtocolVersions = [.. ProtocolVersions];
        copy.Discovery = Discovery.Clone();
        copy.Surbs = Surbs.Clone();
        copy.Bundling = Bundling.Clone();
        copy.Reconnect = Reconnect.Clone();
        copy.Stack = Stack.Clone();
        return copy;
    }
}
