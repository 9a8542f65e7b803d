using System.Net;
using System.Security.Cryptography.X509Certificates;
using Smolmix.Devnet;
using Smolmix.Http.Tests.Support;
using Smolmix.Tls;
using DevnetHost = Smolmix.Devnet.Devnet;

namespace Smolmix.Http.Tests.Nginx;

/// <summary>
/// Debian's nginx behind a Devnet (preset Instant) with a tunnel up: <see cref="NginxServer.ServerName"/> resolves to
/// nginx's TLS port, <see cref="H2cHost"/> to its h2c port and <see cref="OtherHost"/> to the TLS port too (whose
/// certificate does not name it), and <see cref="UpstreamHost"/> straight to nginx's resetting upstream (plain HTTP/1.1).
/// </summary>
internal sealed class NginxRig : IAsyncDisposable
{
    public const string H2cHost = "h2c.nginx.smolmix.test";
    public const string OtherHost = "other.smolmix.test";
    public const string UpstreamHost = "upstream.smolmix.test";

    private NginxRig(DevnetCertificateAuthority ca, NginxServer nginx, DevnetHost devnet, Tunnel tunnel)
    {
        Ca = ca;
        Nginx = nginx;
        Devnet = devnet;
        Tunnel = tunnel;
    }

    public DevnetCertificateAuthority Ca { get; }

    public NginxServer Nginx { get; }

    public DevnetHost Devnet { get; }

    public Tunnel Tunnel { get; }

    public Uri HttpsBase => new($"https://{NginxServer.ServerName}:{Nginx.Tls.Port}/");

    public Uri H2cBase => new($"http://{H2cHost}:{Nginx.H2c.Port}/");

    public Uri OtherBase => new($"https://{OtherHost}:{Nginx.Tls.Port}/");

    public Uri UpstreamBase => new($"http://{UpstreamHost}:{Nginx.Upstream.EndPoint.Port}/");

    /// <summary>Starts nginx (skips the test when it is not installed), the Devnet and the tunnel.</summary>
    public static async Task<NginxRig> StartAsync(CancellationToken cancellationToken)
    {
        Skip.If(NginxServer.WhyUnavailable is not null, NginxServer.WhyUnavailable);
        var ca = DevnetCertificateAuthority.Create();
        NginxServer? nginx = null;
        DevnetHost? devnet = null;
        try
        {
            nginx = await NginxServer.StartAsync(ca, cancellationToken: cancellationToken);
            var options = new DevnetOptions { Preset = DevnetPreset.Instant, Seed = 99 };
            options.Hosts[NginxServer.ServerName] = nginx.Tls;
            options.Hosts[H2cHost] = nginx.H2c;
            options.Hosts[OtherHost] = nginx.Tls;
            options.Hosts[UpstreamHost] = nginx.Upstream.EndPoint;
            devnet = await DevnetHost.StartAsync(options, cancellationToken);
            Tunnel tunnel = await Tunnel.ConnectAsync(new TunnelOptions { NymClient = devnet.NymClientUri, Exits = [devnet.ExitAddress] }, cancellationToken);
            return new NginxRig(ca, nginx, devnet, tunnel);
        }
        catch
        {
            if (devnet is not null)
            {
                await devnet.DisposeAsync();
            }

            if (nginx is not null)
            {
                await nginx.DisposeAsync();
            }

            ca.Dispose();
            throw;
        }
    }

    /// <summary>A handler through the tunnel that trusts the rig's CA (and speaks h2c for <see cref="NginxProtocol.H2c"/>).</summary>
    public SmolmixHandler Handler(NginxProtocol protocol = NginxProtocol.Http11, Action<SmolmixHandlerOptions>? configure = null)
    {
        var options = new SmolmixHandlerOptions
        {
            Tls = new TunnelTlsOptions { TrustedRoots = new X509Certificate2Collection(Ca.Certificate) },
            PlaintextHttp2 = protocol == NginxProtocol.H2c,
        };
        configure?.Invoke(options);
        return SmolmixHandler.Create(Tunnel, options);
    }

    /// <summary>A GET of <paramref name="path"/> over <paramref name="protocol"/>.</summary>
    public HttpRequestMessage Get(NginxProtocol protocol, string path) => protocol switch
    {
        NginxProtocol.Http11 => new HttpRequestMessage(HttpMethod.Get, new Uri(HttpsBase, path)) { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact },
        NginxProtocol.Http2 => new HttpRequestMessage(HttpMethod.Get, new Uri(HttpsBase, path)) { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact },
        NginxProtocol.H2c => new HttpRequestMessage(HttpMethod.Get, new Uri(H2cBase, path)),
        _ => throw new ArgumentOutOfRangeException(nameof(protocol)),
    };

    /// <summary>The HTTP version a response over <paramref name="protocol"/> must have.</summary>
    public static Version VersionOf(NginxProtocol protocol) => protocol == NginxProtocol.Http11 ? HttpVersion.Version11 : HttpVersion.Version20;

    public async ValueTask DisposeAsync()
    {
        await Tunnel.DisposeAsync();
        await Devnet.DisposeAsync();
        await Nginx.DisposeAsync();
        Ca.Dispose();
    }
}
