using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Smolmix.Cli;

/// <summary>
/// The demo site of `smolmix get`: an in-process Kestrel HTTPS server on 127.0.0.1 (HTTP/1.1 and HTTP/2
/// by ALPN) with a text index, two files of deterministic bytes (their SHA-256 on the index), a slow
/// streamed page and a page that echoes the request headers.
/// </summary>
internal sealed class DemoSite : IAsyncDisposable
{
    /// <summary>The site's name in the embedded Devnet's zone.</summary>
    public const string Host = "demo.smolmix.test";

    private static readonly DemoFile[] Files =
    [
        new("/1m.bin", 1, 1024 * 1024),
        new("/16m.bin", 16, 16 * 1024 * 1024),
    ];

    private readonly WebApplication _app;
    private readonly X509Certificate2 _certificate;

    private DemoSite(WebApplication app, X509Certificate2 certificate, IPEndPoint endPoint)
    {
        _app = app;
        _certificate = certificate;
        EndPoint = endPoint;
    }

    /// <summary>Where Kestrel listens (127.0.0.1, a free port).</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>The index page: what the site serves, with each file's size and SHA-256.</summary>
    public static string Index()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"smolmix demo site, https://{Host}/ - an in-process Kestrel server behind the embedded Devnet;\n");
        text.Append("its certificate comes from a test CA made when `smolmix get` started, trusted by that command only.\n\n");
        foreach (DemoFile file in Files)
        {
            text.Append(CultureInfo.InvariantCulture, $"{file.Path,-10} {file.Length / (1024 * 1024),3} MiB  sha256 {file.Sha256}\n");
        }

        text.Append("/slow       a line every 0.5 s for 5 s (streamed, no Content-Length)\n");
        text.Append("/headers    the request headers, as the site received them\n\n");
        text.Append("try: smolmix get https://demo.smolmix.test/16m.bin -o 16m.bin\n");
        return text.ToString();
    }

    /// <summary>Starts the site with <paramref name="certificate"/> (which must carry its private key; the site disposes it).</summary>
    public static async Task<DemoSite> StartAsync(X509Certificate2 certificate, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l =>
        {
            l.Protocols = HttpProtocols.Http1AndHttp2;
            l.UseHttps(certificate);
        }));
        WebApplication app = builder.Build();
        string index = Index();
        app.MapGet("/", () => Results.Text(index, "text/plain; charset=utf-8"));
        foreach (DemoFile file in Files)
        {
            app.MapGet(file.Path, () => Results.Bytes(file.Content, "application/octet-stream"));
        }

        app.MapGet("/slow", SlowAsync);
        app.MapGet("/headers", (HttpContext c) => Results.Text(
            $"{c.Request.Method} {c.Request.Path} {c.Request.Protocol}\n" + string.Concat(c.Request.Headers.Select(h => $"{h.Key}: {h.Value}\n")),
            "text/plain; charset=utf-8"));
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var url = new Uri(app.Urls.First());
        return new DemoSite(app, certificate, new IPEndPoint(IPAddress.Parse(url.Host), url.Port));
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _app.StopAsync(stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        await _app.DisposeAsync().ConfigureAwait(false);
        _certificate.Dispose();
    }

    private static async Task SlowAsync(HttpContext context)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        for (int i = 1; i <= 10; i++)
        {
            await context.Response.WriteAsync($"line {i} of 10\n", context.RequestAborted).ConfigureAwait(false);
            await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
            if (i < 10)
            {
                await Task.Delay(500, context.RequestAborted).ConfigureAwait(false);
            }
        }
    }

    /// <summary>A file of deterministic bytes (a seeded generator), made on first use.</summary>
    private sealed class DemoFile(string path, int seed, int length)
    {
        private readonly Lazy<byte[]> _content = new(() =>
        {
            var bytes = new byte[length];
            new Random(seed).NextBytes(bytes);
            return bytes;
        });

        public string Path => path;

        public int Length => length;

        public byte[] Content => _content.Value;

        public string Sha256 => Convert.ToHexStringLower(SHA256.HashData(Content));
    }
}
