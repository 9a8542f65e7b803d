using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Smolmix.Devnet;
using Smolmix.Tls;
using DevnetHost = Smolmix.Devnet.Devnet;

namespace Smolmix.Http.Tests.Support;

/// <summary>
/// A Kestrel site behind a Devnet: <see cref="HttpsHost"/>, <see cref="H2cHost"/> and <see cref="Http1Host"/> resolve (through
/// the Devnet's resolver) to addresses the exit maps to the site's loopback ports; a tunnel is up.
/// </summary>
internal sealed class HttpRig : IAsyncDisposable
{
    public const string HttpsHost = "site.smolmix.test";
    public const string H2cHost = "h2c.smolmix.test";
    public const string Http1Host = "plain.smolmix.test";

    private HttpRig(DevnetCertificateAuthority ca, KestrelSite site, DevnetHost devnet, Tunnel tunnel)
    {
        Ca = ca;
        Site = site;
        Devnet = devnet;
        Tunnel = tunnel;
    }

    public DevnetCertificateAuthority Ca { get; }

    public KestrelSite Site { get; }

    public DevnetHost Devnet { get; }

    public Tunnel Tunnel { get; }

    public Uri HttpsBase => new($"https://{HttpsHost}:{Site.Https.Port}/");

    public Uri H2cBase => new($"http://{H2cHost}:{Site.H2c.Port}/");

    /// <summary>Plain HTTP/1.1 (the h2c port speaks HTTP/2 only).</summary>
    public Uri Http1Base => new($"http://{Http1Host}:{Site.Http1.Port}/");

    public static async Task<HttpRig> StartAsync(Action<WebApplication> map, DevnetPreset preset = DevnetPreset.Instant, Action<IServiceCollection>? services = null, CancellationToken cancellationToken = default)
    {
        var ca = DevnetCertificateAuthority.Create();
        KestrelSite site = await KestrelSite.StartAsync(ca.IssueServerCertificate([HttpsHost]), map, services);
        var options = new DevnetOptions { Preset = preset, Seed = 99 };
        options.Hosts[HttpsHost] = site.Https;
        options.Hosts[H2cHost] = site.H2c;
        options.Hosts[Http1Host] = site.Http1;
        DevnetHost devnet = await DevnetHost.StartAsync(options, cancellationToken);
        Tunnel tunnel = await Tunnel.ConnectAsync(new TunnelOptions { NymClient = devnet.NymClientUri, Exits = [devnet.ExitAddress] }, cancellationToken);
        return new HttpRig(ca, site, devnet, tunnel);
    }

    /// <summary>A handler through the tunnel that trusts the rig's CA.</summary>
    public SmolmixHandler Handler(Action<SmolmixHandlerOptions>? configure = null)
    {
        var options = new SmolmixHandlerOptions { Tls = new TunnelTlsOptions { TrustedRoots = new X509Certificate2Collection(Ca.Certificate) } };
        configure?.Invoke(options);
        return SmolmixHandler.Create(Tunnel, options);
    }

    public async ValueTask DisposeAsync()
    {
        await Tunnel.DisposeAsync();
        await Devnet.DisposeAsync();
        await Site.DisposeAsync();
        Ca.Dispose();
    }
}
