using System.Security.Cryptography.X509Certificates;
using Smolmix.Devnet;

namespace Smolmix.Examples.HttpClientFactory;

/// <summary>
/// What the example runs against without a nym-client: a test CA, a <see cref="DemoServer"/> with a certificate
/// from it, an embedded Devnet whose resolver answers api.smolmix.test with the server, and a tunnel through it.
/// </summary>
internal sealed class EmbeddedNetwork : IAsyncDisposable
{
    private const string Host = "api.smolmix.test";
    private readonly DevnetCertificateAuthority _ca;
    private readonly DemoServer _server;
    private readonly Devnet.Devnet _devnet;

    private EmbeddedNetwork(DevnetCertificateAuthority ca, DemoServer server, Devnet.Devnet devnet, Tunnel tunnel)
    {
        _ca = ca;
        _server = server;
        _devnet = devnet;
        Tunnel = tunnel;
    }

    public Tunnel Tunnel { get; }

    public Uri BaseAddress => new($"https://{Host}:{_server.EndPoint.Port}/");

    /// <summary>The test CA's certificate, the root to trust.</summary>
    public X509Certificate2 Root => _ca.Certificate;

    public static async Task<EmbeddedNetwork> StartAsync(DevnetPreset preset, CancellationToken cancellationToken)
    {
        var ca = DevnetCertificateAuthority.Create();
        DemoServer server = DemoServer.Start(ca.IssueServerCertificate([Host]));
        var options = new DevnetOptions { Preset = preset };
        options.Hosts[Host] = server.EndPoint;
        Devnet.Devnet devnet = await Devnet.Devnet.StartAsync(options, cancellationToken);
        Tunnel tunnel = await Tunnel.ConnectAsync(new TunnelOptions { NymClient = devnet.NymClientUri, Exits = [devnet.ExitAddress] }, cancellationToken);
        return new EmbeddedNetwork(ca, server, devnet, tunnel);
    }

    public async ValueTask DisposeAsync()
    {
        await Tunnel.DisposeAsync();
        await _devnet.DisposeAsync();
        await _server.DisposeAsync();
        _ca.Dispose();
    }
}
