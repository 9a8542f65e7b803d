using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Smolmix.Http.Tests.Support;

/// <summary>A Kestrel site on 127.0.0.1: HTTPS (HTTP/1.1 and HTTP/2 by ALPN) and h2c, with routes a test maps.</summary>
internal sealed class KestrelSite : IAsyncDisposable
{
    private readonly WebApplication _app;

    private KestrelSite(WebApplication app, IPEndPoint https, IPEndPoint h2c)
    {
        _app = app;
        Https = https;
        H2c = h2c;
    }

    public IPEndPoint Https { get; }

    public IPEndPoint H2c { get; }

    public static async Task<KestrelSite> StartAsync(X509Certificate2 certificate, Action<WebApplication> map, Action<IServiceCollection>? services = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        services?.Invoke(builder.Services);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0, l =>
            {
                l.Protocols = HttpProtocols.Http1AndHttp2;
                l.UseHttps(certificate);
            });
            k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2);
        });
        WebApplication app = builder.Build();
        map(app);
        await app.StartAsync();
        IPEndPoint[] bound = app.Urls.Select(u => new Uri(u)).Select(u => new IPEndPoint(IPAddress.Parse(u.Host), u.Port)).ToArray();
        string[] urls = [.. app.Urls];
        IPEndPoint https = bound[Array.FindIndex(urls, u => u.StartsWith("https", StringComparison.Ordinal))];
        IPEndPoint h2c = bound[Array.FindIndex(urls, u => u.StartsWith("http:", StringComparison.Ordinal))];
        return new KestrelSite(app, https, h2c);
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(stop.Token);
        await _app.DisposeAsync();
    }
}
