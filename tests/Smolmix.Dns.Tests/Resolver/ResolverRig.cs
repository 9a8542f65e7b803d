using System.Net;
using Smolmix.Devices;
using Smolmix.Dns.Wire;

namespace Smolmix.Dns.Tests.Resolver;

/// <summary>
/// A client stack and a server stack joined in memory; the resolver runs on the client, scripted DNS
/// servers on the server (10.0.0.1, one per port).
/// </summary>
internal sealed class ResolverRig : IAsyncDisposable
{
    public static readonly IPAddress ServerAddress = IPAddress.Parse("10.0.0.1");
    private readonly IPacketDevice _a;
    private readonly IPacketDevice _b;
    private readonly List<FakeDnsServer> _servers = [];
    private readonly List<TunnelResolver> _resolvers = [];

    public ResolverRig()
    {
        (_a, _b) = InMemoryPacketLink.CreatePair();
        Client = NetStack.Start(_a, IPAddress.Parse("10.0.0.2"));
        Server = NetStack.Start(_b, ServerAddress);
    }

    public NetStack Client { get; }

    public NetStack Server { get; }

    public FakeDnsServer AddServer(Func<DnsMessage, bool, FakeReply> handler, int port = 53)
    {
        var s = new FakeDnsServer(Server, port, handler);
        _servers.Add(s);
        return s;
    }

    /// <summary>A resolver over the client stack, asking <paramref name="servers"/>; short LAN-scale timers unless set.</summary>
    public TunnelResolver Resolver(Action<TunnelResolverOptions>? configure, params FakeDnsServer[] servers)
    {
        var options = new TunnelResolverOptions
        {
            Servers = servers.Select(s => new DnsServer(s.EndPoint)).ToList(),
            InitialRetransmitTimeout = TimeSpan.FromMilliseconds(300),
            MinRetransmitTimeout = TimeSpan.FromMilliseconds(100),
            Timeout = TimeSpan.FromSeconds(10),
        };
        configure?.Invoke(options);
        var r = new TunnelResolver(Client, options);
        _resolvers.Add(r);
        return r;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var r in _resolvers)
        {
            await r.DisposeAsync();
        }

        foreach (var s in _servers)
        {
            await s.DisposeAsync();
        }

        await Client.DisposeAsync();
        await Server.DisposeAsync();
        await _a.DisposeAsync();
        await _b.DisposeAsync();
    }
}
