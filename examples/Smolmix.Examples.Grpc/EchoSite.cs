using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Smolmix.Echo;

namespace Smolmix.Examples.Grpc;

/// <summary>The embedded gRPC echo service: Kestrel on 127.0.0.1 (HTTPS, HTTP/2 by ALPN).</summary>
internal sealed class EchoSite : IAsyncDisposable
{
    private readonly WebApplication _app;

    private EchoSite(WebApplication app, IPEndPoint endPoint)
    {
        _app = app;
        EndPoint = endPoint;
    }

    /// <summary>Where Kestrel listens (the Devnet maps the site's name here).</summary>
    public IPEndPoint EndPoint { get; }

    public static async Task<EchoSite> StartAsync(X509Certificate2 certificate, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddGrpc();
        builder.Logging.ClearProviders();
        ListenOptions? listen = null;
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l =>
        {
            l.Protocols = HttpProtocols.Http1AndHttp2; // gRPC uses HTTP/2, chosen by ALPN
            l.UseHttps(certificate);
            listen = l;
        }));
        WebApplication app = builder.Build();
        app.MapGrpcService<EchoService>();
        await app.StartAsync(cancellationToken);
        return new EchoSite(app, listen!.IPEndPoint!);
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(stop.Token);
        await _app.DisposeAsync();
    }
}
