using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Smolmix.Devices;
using Smolmix.Devnet.Dns;
using Smolmix.Devnet.Egress;
using Smolmix.Devnet.Exit;
using Smolmix.Devnet.Mixnet;
using Smolmix.Devnet.NymClientApi;
using Smolmix.Devnet.Timing;
using Smolmix.Dns;
using Smolmix.Nym;

namespace Smolmix.Devnet;

/// <summary>
/// A local, protocol-faithful stand-in for the Nym network on one machine: a nym-client WebSocket
/// endpoint (<see cref="NymClientUri"/>), a mixnet model (Sphinx packet sizes, mixing delays, Poisson
/// sending, loss, reply SURBs) and an IP packet router exit (<see cref="ExitAddress"/>) whose traffic
/// leaves through a userspace NAT or, as root, the Linux kernel inside a private network namespace.
/// A resolver answers at the default resolver addresses (<see cref="DnsServer.Defaults"/>) through the
/// exit, from a zone of <see cref="DevnetOptions.Hosts"/> and <see cref="DevnetOptions.DnsRecords"/>.
/// </summary>
public sealed class Devnet : IAsyncDisposable
{
    private readonly EventScheduler _scheduler;
    private readonly MixnetModel _mixnet;
    private readonly IPacketDevice _egress;
    private readonly IprExit _exit;
    private readonly NymClientServer _server;
    private readonly DevnetDnsServer _dns;
    private readonly DnsZone _zone;
    private int _disposed;

    private Devnet(int seed, EventScheduler scheduler, MixnetModel mixnet, IPacketDevice egress, IprExit exit, NymClientServer server, DevnetDnsServer dns, DnsZone zone)
    {
        _dns = dns;
        _zone = zone;
        Seed = seed;
        _scheduler = scheduler;
        _mixnet = mixnet;
        _egress = egress;
        _exit = exit;
        _server = server;
    }

    /// <summary>The nym-client WebSocket endpoint, e.g. <c>ws://127.0.0.1:1977</c>.</summary>
    public Uri NymClientUri => _server.Uri;

    /// <summary>The exit's Nym address (the IP packet router to connect to).</summary>
    public string ExitAddress => _exit.Address.ToString();

    /// <summary>The seed of every random decision; pass it back in <see cref="DevnetOptions.Seed"/> to replay a run.</summary>
    public int Seed { get; }

    /// <summary>The mixnet settings in effect.</summary>
    public MixnetOptions Mixnet => _mixnet.Options;

    /// <summary>The network namespace of kernel egress (where reachable services must live), or null with the userspace NAT.</summary>
    public string? EgressNamespace => (_egress as KernelEgress)?.Namespace.Name;

    /// <summary>The names of <see cref="DevnetOptions.Hosts"/> with the addresses the resolver answers for them, in name order.</summary>
    public IReadOnlyList<DevnetHostMapping> Hosts => _zone.Hosts;

    /// <summary>A snapshot of the counters.</summary>
    public DevnetCounters Counters => new()
    {
        WebSocketClients = _server.SessionsAccepted,
        ActiveWebSocketClients = _server.ActiveSessions,
        Mixnet = _mixnet.Snapshot(),
        Exit = _exit.Snapshot(),
        Dns = _dns.Snapshot(),
    };

    internal IprExit Exit => _exit;

    internal MixnetModel MixnetModel => _mixnet;

    internal NymClientServer Server => _server;

    internal IPacketDevice Egress => _egress;

    /// <summary>The plain-DNS default resolver endpoints the Devnet answers at (UDP and TCP).</summary>
    internal static IReadOnlyList<IPEndPoint> ResolverEndPoints { get; } = DnsServer.Defaults.Where(s => !s.UsesTls).Select(s => s.EndPoint).Distinct().ToArray();

    internal DevnetDnsServer Resolver => _dns;

    /// <summary>Starts a Devnet.</summary>
    /// <param name="options">Settings; see <see cref="DevnetOptions"/>.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running Devnet.</returns>
    /// <exception cref="UnauthorizedAccessException">Kernel egress was asked for without root.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The WebSocket port is taken.</exception>
    public static Task<Devnet> StartAsync(DevnetOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        ILoggerFactory loggers = options.LoggerFactory ?? NullLoggerFactory.Instance;
        int seed = options.Seed ?? Random.Shared.Next();
        var random = new Random(seed);
        var keyRandom = new Random(random.Next());
        var allocationRandom = new Random(random.Next());
        int stackSeed = random.Next();
        var keys = new NymKeyFactory(keyRandom);

        var scheduler = new EventScheduler(options.TimeProvider, loggers.CreateLogger("Smolmix.Devnet.Scheduler"));
        var mixnet = new MixnetModel(options.EffectiveMixnet, scheduler, new Random(random.Next()), loggers.CreateLogger("Smolmix.Devnet.Mixnet"));
        DnsZone zone = DnsZone.Build(options.Hosts, options.DnsRecords);
        ILogger dnsLogger = loggers.CreateLogger("Smolmix.Devnet.Dns");
        IPacketDevice? egress = null;
        IprExit? exit = null;
        DevnetDnsServer? dns = null;
        try
        {
            if (options.Egress == DevnetEgressMode.Kernel)
            {
                var kernel = KernelEgress.Start(options.Mtu, loggers.CreateLogger("Smolmix.Devnet.Egress"));
                egress = kernel;
                dns = StartResolverInNamespace(kernel, zone, options.TimeProvider, dnsLogger);
            }
            else
            {
                dns = DevnetDnsServer.StartOnLoopback(zone, options.TimeProvider, dnsLogger);
                IPEndPoint local = dns.EndPoints[0];
                var map = new List<KeyValuePair<IPEndPoint, IPEndPoint>>();
                map.AddRange(ResolverEndPoints.Select(r => KeyValuePair.Create(r, local)));
                foreach (DevnetHostMapping host in zone.Hosts)
                {
                    map.Add(KeyValuePair.Create(new IPEndPoint(host.IPv4, host.Target.Port), host.Target));
                    map.Add(KeyValuePair.Create(new IPEndPoint(host.IPv6, host.Target.Port), host.Target));
                }

                egress = UserspaceNatEgress.Start(options, stackSeed, loggers.CreateLogger("Smolmix.Devnet.Egress"), map);
            }

            NymAddress exitAddress = keys.NewAddress(keys.NewEd25519PublicKey());
            var exitOptions = new IprExitOptions
            {
                Mtu = (ushort)options.Mtu,
                ExitPolicy = options.ExitPolicy,
                InactivityTimeout = options.ClientInactivityTimeout,
                InactivityCheckInterval = options.InactivityCheckInterval,
            };
            Func<int> picker = options.AddressPicker ?? (() => allocationRandom.Next(2, 65535));
            exit = IprExit.Start(exitAddress, exitOptions, mixnet, egress, picker, options.TimeProvider, loggers.CreateLogger("Smolmix.Devnet.Exit"));
            NymClientServer server = NymClientServer.Start(options.Port, mixnet, keys, keys.NewEd25519PublicKey(), options.TimeProvider, loggers.CreateLogger("Smolmix.Devnet.NymClient"));
            return Task.FromResult(new Devnet(seed, scheduler, mixnet, egress, exit, server, dns, zone));
        }
        catch
        {
            if (exit is not null)
            {
                exit.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }

            egress?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            dns?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            scheduler.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Kernel egress only: runs <paramref name="action"/> on a thread inside the egress network
    /// namespace, so sockets it creates (the services clients reach) live there.
    /// </summary>
    /// <exception cref="InvalidOperationException">The Devnet uses the userspace NAT.</exception>
    public T RunInEgressNamespace<T>(Func<T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        return _egress is KernelEgress kernel
            ? kernel.Namespace.Run(action)
            : throw new InvalidOperationException("Only kernel egress has a network namespace.");
    }

    /// <summary>
    /// Kernel egress only: adds <paramref name="address"/> to the namespace's loopback interface, so
    /// a service there can be reached at a "public" address (for example 192.0.2.10).
    /// </summary>
    /// <exception cref="InvalidOperationException">The Devnet uses the userspace NAT.</exception>
    public void AddEgressAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (_egress is not KernelEgress kernel)
        {
            throw new InvalidOperationException("Only kernel egress has a network namespace.");
        }

        AddAddress(kernel, address);
    }

    /// <summary>Stops the endpoint, the exit, the egress and the mixnet (bounded).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _server.DisposeAsync().ConfigureAwait(false);
        await _exit.DisposeAsync().ConfigureAwait(false);
        await _egress.DisposeAsync().ConfigureAwait(false);
        await _dns.DisposeAsync().ConfigureAwait(false);
        _scheduler.Dispose();
    }

    private static void AddAddress(KernelEgress kernel, IPAddress address)
    {
        string suffix = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "128 dev lo nodad" : "32 dev lo";
        kernel.Namespace.Exec($"addr add {address}/{suffix}");
    }

    /// <summary>Kernel egress: the resolver's sockets are bound at the resolver addresses on the namespace's loopback.</summary>
    private static DevnetDnsServer StartResolverInNamespace(KernelEgress kernel, DnsZone zone, TimeProvider time, ILogger logger)
    {
        var udp = new List<System.Net.Sockets.Socket>();
        var tcp = new List<System.Net.Sockets.Socket>();
        try
        {
            foreach (IPEndPoint resolver in ResolverEndPoints)
            {
                AddAddress(kernel, resolver.Address);
                (System.Net.Sockets.Socket u, System.Net.Sockets.Socket t) = kernel.Namespace.Run(() => DevnetDnsServer.Bind(resolver));
                udp.Add(u);
                tcp.Add(t);
            }
        }
        catch
        {
            foreach (System.Net.Sockets.Socket socket in udp.Concat(tcp))
            {
                socket.Dispose();
            }

            throw;
        }

        return DevnetDnsServer.Start(zone, udp, tcp, time, logger);
    }
}
