using System.Diagnostics;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Smolmix;
using Smolmix.CommandLine;
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
const string Usage = "usage: smolmix-https [--preset instant|nym|harsh] | --nym-client URI --exit ADDRESS --url URL [--timeout SECONDS] [-v]\nexit codes: 0 ok, 1 failed (one line says why), 2 usage error, 130 interrupted";
return await CommandRunner.RunAsync("smolmix-https", args, async interrupt =>
{
    TimeSpan timeout = TimeSpan.FromMinutes(5);
    var opts = new Dictionary<string, string>(StringComparer.Ordinal);
    var preset = DevnetPreset.Nym;
    var reader = new ArgReader(args);
    while (reader.Next(out string? arg))
    {
        switch (arg)
        {
            case "--preset": preset = reader.Choice(arg, ("instant", DevnetPreset.Instant), ("nym", DevnetPreset.Nym), ("harsh", DevnetPreset.Harsh)); break;
            case "--nym-client": opts["nym-client"] = reader.NymClient(arg).ToString(); break;
            case "--exit": opts["exit"] = reader.ExitAddress(arg); break;
            case "--timeout": timeout = reader.Seconds(arg); break;
            case "-v" or "--verbose": break; // the runner prints the whole exception on failure
            case "-h" or "--help": Console.WriteLine(Usage); return ExitCode.Ok;
            case "--url": opts["url"] = reader.Uri(arg, "https", "http").ToString(); break;
            default: throw reader.Unknown(arg);
        }
    }

    bool embedded = !opts.ContainsKey("nym-client");
    if (!embedded && (!opts.ContainsKey("exit") || !opts.ContainsKey("url")))
    {
        throw new UsageException("--nym-client needs --exit and --url");
    }

    if (embedded && opts.ContainsKey("exit"))
    {
        throw new UsageException("--exit goes with --nym-client (without it, the example brings its own embedded Devnet)");
    }

    using var cts = CancellationTokenSource.CreateLinkedTokenSource(interrupt);
    cts.CancelAfter(timeout);

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

        CommandRunner.Step($"connecting the tunnel through {nymClient}");
        var clock = Stopwatch.StartNew();
        await using Tunnel tunnel = await Tunnel.ConnectAsync(new TunnelOptions { NymClient = nymClient, Exits = [exit], ConnectTimeout = timeout }, cts.Token);
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
});

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
