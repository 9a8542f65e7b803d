using System.Net;
using Microsoft.Extensions.Logging;
using Smolmix.Dns;

namespace Smolmix.Devnet;

/// <summary>Settings of a <see cref="Devnet"/>.</summary>
public sealed class DevnetOptions
{
    /// <summary>The TCP port of the nym-client WebSocket endpoint on 127.0.0.1; 0 (the default) picks a free one.</summary>
    public int Port { get; set; }

    /// <summary>The mixnet behaviour (default <see cref="DevnetPreset.Nym"/>); <see cref="Mixnet"/> overrides it.</summary>
    public DevnetPreset Preset { get; set; } = DevnetPreset.Nym;

    /// <summary>Explicit mixnet settings; when null the <see cref="Preset"/>'s are used.</summary>
    public MixnetOptions? Mixnet { get; set; }

    /// <summary>The seed of every random decision (keys, delays, loss, address allocation); null picks one, reported by <see cref="Devnet.Seed"/>.</summary>
    public int? Seed { get; set; }

    /// <summary>The exit's MTU, reported to v10 clients in the connect reply (default 1420).</summary>
    public int Mtu { get; set; } = 1420;

    /// <summary>Where the exit sends its clients' packets (default <see cref="DevnetEgressMode.UserspaceNat"/>).</summary>
    public DevnetEgressMode Egress { get; set; } = DevnetEgressMode.UserspaceNat;

    /// <summary>Which destinations the exit forwards to (default: all).</summary>
    public ExitPolicy ExitPolicy { get; set; } = ExitPolicy.AcceptAll;

    /// <summary>
    /// Userspace NAT only: destinations to rewrite before the host socket connects, so services on
    /// 127.0.0.1 can be given "public" addresses (for example 192.0.2.10:80 → 127.0.0.1:8080). A key
    /// with port 0 maps every port of its address, keeping the port unless the value's port is set.
    /// </summary>
    public IDictionary<IPEndPoint, IPEndPoint> AddressMap { get; } = new Dictionary<IPEndPoint, IPEndPoint>();

    /// <summary>
    /// Userspace NAT only: names the Devnet's resolver answers, each with the service on the host it
    /// stands for (for example <c>demo.smolmix.test</c> → 127.0.0.1:8443). Each name gets a "public"
    /// IPv4 address from 198.18.0.0/15 and an IPv6 one from 2001:2::/48 (in name order, see
    /// <see cref="Devnet.Hosts"/>), answered as A and AAAA; connections and datagrams to either address
    /// at the target's port reach the target. Names are case-insensitive.
    /// </summary>
    /// <remarks>
    /// The resolver always runs at the default resolver addresses (<see cref="DnsServer.Defaults"/>,
    /// UDP and TCP, port 53) through the exit, so the tunnel's built-in resolver works without a
    /// network: names neither here nor in <see cref="DnsRecords"/> get NXDOMAIN, and no query ever
    /// leaves the machine. An <see cref="AddressMap"/> entry for a resolver address takes precedence.
    /// </remarks>
    public IDictionary<string, IPEndPoint> Hosts { get; } = new Dictionary<string, IPEndPoint>(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// More records the Devnet's resolver answers (CNAME, TXT, MX, SRV, A/AAAA for addresses of
    /// your own, …), besides those of <see cref="Hosts"/>. A CNAME is followed within the zone.
    /// With kernel egress these are the only names (point A/AAAA records at addresses added with
    /// <see cref="Devnet.AddEgressAddress"/>).
    /// </summary>
    public IList<DnsRecord> DnsRecords { get; } = new List<DnsRecord>();

    /// <summary>
    /// Userspace NAT only: allow host connections to destinations outside loopback (after
    /// <see cref="AddressMap"/>). Off by default, so nothing leaves the machine.
    /// </summary>
    public bool AllowNonLoopbackEgress { get; set; }

    /// <summary>Userspace NAT only: how long an idle UDP flow keeps its host socket (default 60 s).</summary>
    public TimeSpan UdpFlowIdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Userspace NAT only: how long a host TCP connect may take before the client's SYN is dropped
    /// (default 10 s), and how long the client then has to complete its handshake before the host
    /// connection is closed again.
    /// </summary>
    public TimeSpan HostConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The exit drops a client after this long without data packets (60 s on the real exit).</summary>
    public TimeSpan ClientInactivityTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often the exit looks for inactive clients (10 s on the real exit).</summary>
    public TimeSpan InactivityCheckInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The clock of every timer and delay; tests pass a fake one.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Logger factory; destinations are never logged above Debug.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Test hook: returns the 16-bit host number the exit tries for each new allocation (instead of a random one).</summary>
    internal Func<int>? AddressPicker { get; set; }

    /// <summary>The mixnet settings in effect.</summary>
    internal MixnetOptions EffectiveMixnet => Mixnet ?? MixnetOptions.ForPreset(Preset);

    /// <summary>Throws <see cref="ArgumentException"/> (or <see cref="ArgumentOutOfRangeException"/>, <see cref="ArgumentNullException"/>) for invalid settings.</summary>
    public void Validate()
    {
        if (Port is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(Port), Port, "must be 0..65535");
        }

        if (Mtu is < 1280 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(Mtu), Mtu, "must be 1280..65535");
        }

        if (UdpFlowIdleTimeout <= TimeSpan.Zero || HostConnectTimeout <= TimeSpan.Zero
            || ClientInactivityTimeout <= TimeSpan.Zero || InactivityCheckInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(UdpFlowIdleTimeout), "timeouts must be positive");
        }

        if (Hosts.Count > 0 && Egress == DevnetEgressMode.Kernel)
        {
            throw new ArgumentException(
                "Hosts needs the userspace NAT (it maps public addresses to host services); with kernel egress run the services in the egress namespace and name them with DnsRecords.",
                nameof(Hosts));
        }

        foreach ((string name, IPEndPoint target) in Hosts)
        {
            if (target is null || target.Port == 0)
            {
                throw new ArgumentException($"Hosts: '{name}' needs a target endpoint with a port.", nameof(Hosts));
            }

            if (!AllowNonLoopbackEgress && !IPAddress.IsLoopback(target.Address))
            {
                throw new ArgumentException($"Hosts: '{name}' maps to {target}, which is not loopback (set AllowNonLoopbackEgress to allow that).", nameof(Hosts));
            }
        }

        _ = Smolmix.Devnet.Dns.DnsZone.Build(Hosts, DnsRecords);
        ArgumentNullException.ThrowIfNull(ExitPolicy);
        ArgumentNullException.ThrowIfNull(TimeProvider);
        EffectiveMixnet.Validate();
    }
}
