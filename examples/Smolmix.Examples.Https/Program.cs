using System.Diagnostics;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Smolmix;
using Smolmix.Devnet;
using Smolmix.Http;
using Smolmix.Tls;

// smolmix-https: HTTPS with HttpClient through a Smolmix tunnel: new HttpClient(SmolmixHandler.Create(tunnel)).
//
//   smolmix-https [--preset instant|nym|harsh]      an embedded Devnet and a local Kestrel HTTPS site behind its
//                                                   resolver (www.smolmix.test, certificate from a test CA made now)
//   smolmix-https --nym-client ws://127.0.0.1:1977 --exit <IPR address> --url https://example.com/
//
// It GETs the URL twice (the second request reuses the mixnet connection) and once more asking for HTTP/2.
const string Usage = "usage: smolmix-https [--preset instant|nym|harsh] | --nym-client URI --exit ADDRESS --url URL";
var opts = new Dictionary<string, string>(StringComparer.Ordinal);
for (int i = 0; i < args.Length; i++)
{
    if (args[i] is "-h" or "--help" || !args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
    {
        Console.Error.WriteLine(Usage);
        return args[i] is "-h" or "--help" ? 0 : 2;
    }

    opts[args[i][2..]] = args[++i];
}

var preset = DevnetPreset.Nym;
if (opts.TryGetValue("preset", out string? presetText) && !Enum.TryParse(presetText, ignoreCase: true, out preset))
{
    Console.Error.WriteLine($"smolmix-https: --preset {presetText} is not one of instant, nym, harsh");
    return 2;
}

bool embedded = !opts.ContainsKey("nym-client");
if (!embedded && (!opts.ContainsKey("exit") || !opts.ContainsKey("url")))
{
    Console.Error.WriteLine($"smolmix-https: --nym-client needs --exit and --url\n{Usage}");
    return 2;
}

using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cts.Cancel();
};

DevnetCertificateAuthority? ca = null;
WebApplication? site = null;
Devnet? devnet = null;
try
{
    Uri nymClient;
    string exit;
    Uri url;
    var roots = new X509Certificate2Collection();
    if (embedded)
    {
        // A local HTTPS site with a certificate from a CA made now; the Devnet's resolver answers
        // www.smolmix.test with an address its exit maps to the site.
        ca = DevnetCertificateAuthority.Create();
        roots.Add(ca.Certificate);
        (site, IPEndPoint siteEndPoint) = await StartSiteAsync(ca.IssueServerCertificate(["www.smolmix.test"]), cts.Token);
        var devnetOptions = new DevnetOptions { Preset = preset };
        devnetOptions.Hosts["www.smolmix.test"] = siteEndPoint;
        devnet = await Devnet.StartAsync(devnetOptions, cts.Token);
        nymClient = devnet.NymClientUri;
        exit = devnet.ExitAddress;
        url = new Uri($"https://www.smolmix.test:{siteEndPoint.Port}/");
        Console.WriteLine($"embedded Devnet ({preset}) at {nymClient}; Kestrel on {siteEndPoint} is {url}");
    }
    else
    {
        nymClient = new Uri(opts["nym-client"]);
        exit = opts["exit"];
        url = new Uri(opts["url"]);
    }

    var clock = Stopwatch.StartNew();
    await using Tunnel tunnel = await Tunnel.ConnectAsync(new TunnelOptions { NymClient = nymClient, Exits = [exit] }, cts.Token);
    Console.WriteLine($"tunnel ready in {clock.ElapsedMilliseconds} ms ({tunnel.IPv4Address}, IPR v{tunnel.ProtocolVersion})");

    // The one line that matters: an HttpClient whose connections, names and TLS all go through the tunnel.
    using var client = new HttpClient(SmolmixHandler.Create(tunnel, new SmolmixHandlerOptions
    {
        Tls = new TunnelTlsOptions { TrustedRoots = roots.Count > 0 ? roots : null }, // null: the system's roots
        ConnectionEstablished = c => Console.WriteLine(
            $"  new connection to {c.Host} ({c.RemoteEndPoint}): DNS {c.NameResolution.TotalMilliseconds:0} ms, TCP {c.TcpConnect.TotalMilliseconds:0} ms, TLS {c.TlsHandshake.TotalMilliseconds:0} ms, HTTP/{c.HttpVersion}"),
    }));

    for (int i = 0; i < 3; i++)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (i == 2)
        {
            request.Version = HttpVersion.Version20; // ALPN h2, falling back to HTTP/1.1
        }

        clock.Restart();
        using HttpResponseMessage response = await client.SendAsync(request, cts.Token);
        string body = await response.Content.ReadAsStringAsync(cts.Token);
        string first = body.Split('\n', 2)[0];
        Console.WriteLine($"GET {url} -> {(int)response.StatusCode} {response.ReasonPhrase}, HTTP/{response.Version}, {body.Length} chars in {clock.ElapsedMilliseconds} ms: {(first.Length > 100 ? first[..100] + "…" : first)}");
    }

    return 0;
}
catch (HttpRequestException ex)
{
    Console.Error.WriteLine($"smolmix-https: {ex.HttpRequestError}: {ex.InnerException?.Message ?? ex.Message}");
    return 1;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("smolmix-https: cancelled");
    return 130;
}
catch (Exception ex) when (ex is TimeoutException or IOException)
{
    Console.Error.WriteLine($"smolmix-https: {ex.Message}");
    return 1;
}
finally
{
    if (devnet is not null)
    {
        await devnet.DisposeAsync();
    }

    if (site is not null)
    {
        await site.StopAsync(CancellationToken.None);
        await site.DisposeAsync();
    }

    ca?.Dispose();
}

// Kestrel on 127.0.0.1 (a free port), HTTP/1.1 and HTTP/2 by ALPN.
static async Task<(WebApplication Site, IPEndPoint EndPoint)> StartSiteAsync(X509Certificate2 certificate, CancellationToken cancellationToken)
{
    var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
    builder.Logging.ClearProviders();
    builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l =>
    {
        l.Protocols = HttpProtocols.Http1AndHttp2;
        l.UseHttps(certificate);
    }));
    WebApplication app = builder.Build();
    app.MapGet("/", (HttpContext c) => $"hello from Kestrel over {c.Request.Protocol}, through the mixnet\n");
    await app.StartAsync(cancellationToken);
    var bound = new Uri(app.Urls.First());
    return (app, new IPEndPoint(IPAddress.Parse(bound.Host), bound.Port));
}
