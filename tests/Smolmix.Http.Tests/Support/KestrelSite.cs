using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Smolmix.Http.Tests.Support;

/// <summary>
/// A Kestrel site on 127.0.0.1: HTTPS (HTTP/1.1 and HTTP/2 by ALPN), h2c (HTTP/2 only) and plain
/// HTTP/1.1 (for ws://), with routes a test maps.
/// </summary>
internal sealed class KestrelSite : IAsyncDisposable
{
    private readonly WebApplication _app;

    private KestrelSite(WebApplication app, IPEndPoint https, IPEndPoint h2c, IPEndPoint http1)
    {
        _app = app;
        Https = https;
        H2c = h2c;
        Http1 = http1;
    }

    public IPEndPoint Https { get; }

    public IPEndPoint H2c { get; }

    public IPEndPoint Http1 { get; }

    public static async Task<KestrelSite> StartAsync(X509Certificate2 certificate, Action<WebApplication> map, Action<IServiceCollection>? services = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        services?.Invoke(builder.Services);
        ListenOptions? https = null, h2c = null, http1 = null;
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0, l =>
            {
                l.Protocols = HttpProtocols.Http1AndHttp2;
                l.UseHttps(certificate);
                https = l;
            });
            k.Listen(IPAddress.Loopback, 0, l =>
            {
                l.Protocols = HttpProtocols.Http2;
                h2c = l;
            });
            k.Listen(IPAddress.Loopback, 0, l =>
            {
                l.Protocols = HttpProtocols.Http1;
                http1 = l;
            });
        });
        WebApplication app = builder.Build();
        map(app);
        await app.StartAsync();

        // Kestrel writes the bound port (for port 0) back into each ListenOptions.
        return new KestrelSite(app, https!.IPEndPoint!, h2c!.IPEndPoint!, http1!.IPEndPoint!);
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(stop.Token);
        await _app.DisposeAsync();
    }
}
