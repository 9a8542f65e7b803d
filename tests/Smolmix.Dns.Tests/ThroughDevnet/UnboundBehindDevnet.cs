using System.Net;
using Smolmix.Devnet;
using Smolmix.Dns.Tests.Support;
using DevnetHost = Smolmix.Devnet.Devnet;

namespace Smolmix.Dns.Tests.ThroughDevnet;

/// <summary>
/// A real unbound on loopback standing in for the public resolvers: the Devnet's address map sends
/// 9.9.9.9:53 and 9.9.9.9:853 (the first default server, plain and TLS) to it, so a resolver with
/// default settings reaches it through a real <see cref="Tunnel"/>, the mixnet model, the exit and
/// the NAT.
/// </summary>
internal sealed class UnboundBehindDevnet : IAsyncDisposable
{
    private UnboundBehindDevnet(UnboundServer unbound, DevnetHost devnet, Tunnel tunnel)
    {
        Unbound = unbound;
        Devnet = devnet;
        Tunnel = tunnel;
    }

    public UnboundServer Unbound { get; }

    public DevnetHost Devnet { get; }

    public Tunnel Tunnel { get; }

    public static IPEndPoint PlainServer => DnsServer.Quad9.EndPoint;

    public static IPEndPoint TlsServer => DnsServer.Quad9Tls.EndPoint;

    public static async Task<UnboundBehindDevnet> StartAsync(CancellationToken cancellationToken, MixnetOptions? mixnet = null)
    {
        UnboundServer unbound = await UnboundServer.StartAsync(cancellationToken);
        DevnetHost? devnet = null;
        try
        {
            var options = new DevnetOptions { Preset = DevnetPreset.Instant, Seed = 4321, Mixnet = mixnet };
            options.AddressMap[PlainServer] = unbound.DnsEndPoint;
            options.AddressMap[TlsServer] = unbound.TlsEndPoint;
            devnet = await DevnetHost.StartAsync(options, cancellationToken);
            Tunnel tunnel = await Tunnel.ConnectAsync(
                new TunnelOptions { NymClient = devnet.NymClientUri, Exits = [devnet.ExitAddress], ConnectTimeout = TimeSpan.FromSeconds(60) },
                cancellationToken);
            return new UnboundBehindDevnet(unbound, devnet, tunnel);
        }
        catch
        {
            if (devnet is not null)
            {
                await devnet.DisposeAsync();
            }

            await unbound.DisposeAsync();
            throw;
        }
    }

    /// <summary>A resolver asking only the plain server (unbound), with the default mixnet-scale timers unless configured.</summary>
    public TunnelResolver Resolver(Action<TunnelResolverOptions>? configure = null)
    {
        var options = new TunnelResolverOptions { Servers = [new DnsServer(PlainServer)] };
        configure?.Invoke(options);
        return new TunnelResolver(Tunnel, options);
    }

    public async ValueTask DisposeAsync()
    {
        await Tunnel.DisposeAsync();
        await Devnet.DisposeAsync();
        await Unbound.DisposeAsync();
    }
}
