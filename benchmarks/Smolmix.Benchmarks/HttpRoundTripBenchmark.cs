using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Smolmix.Devnet;
using Smolmix.Http;
using Smolmix.Tls;

using Smolmix.CommandLine;

namespace Smolmix.Benchmarks;

/// <summary>
/// <c>http-requests</c>: HTTPS through a real <see cref="Tunnel"/> and an embedded Devnet, in real
/// time, against an in-process Kestrel site named in the Devnet's zone. Round trips are measured
/// as time over the tunnel's ping round trip (median of 10): a cold GET (new handler and resolver:
/// DNS, TCP, TLS 1.3, request), a second GET on the pooled connection, a GET with the name cached
/// (DNS queries counted by the resolver); then a download of N MiB over HTTPS next to a raw TCP
/// download of the same size through the same tunnel, and their goodput ratio.
/// </summary>
public static class HttpRoundTripBenchmark
{
    private const string Usage = "usage: Smolmix.Benchmarks http-requests [--preset instant|nym|harsh (nym)] [--mib N (16)] [--repeat N (5)] [--seed N (1)]";
    private const string Host = "bench.smolmix.test";

    public static async Task<int> RunAsync(string[] args)
    {
        var preset = DevnetPreset.Nym;
        int mib = 16, repeat = 5, seed = 1;
        var reader = new ArgReader(args);
        while (reader.Next(out string? arg))
        {
            switch (arg)
            {
                case "--preset": preset = reader.Choice(arg, ("instant", DevnetPreset.Instant), ("nym", DevnetPreset.Nym), ("harsh", DevnetPreset.Harsh)); break;
                case "--mib": mib = reader.Int(arg, 1, 1024); break;
                case "--repeat": repeat = reader.Int(arg, 1, 100); break;
                case "--seed": seed = reader.Int(arg, int.MinValue, int.MaxValue); break;
                case "-h" or "--help": Console.WriteLine(Usage); return 0;
                default: throw reader.Unknown(arg);
            }
        }

        byte[] payload = RandomNumberGenerator.GetBytes(mib * 1024 * 1024);
        using var ca = DevnetCertificateAuthority.Create();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l =>
        {
            l.Protocols = HttpProtocols.Http1AndHttp2;
            l.UseHttps(ca.IssueServerCertificate([Host]));
        }));
        await using WebApplication site = builder.Build();
        site.MapGet("/small", () => Results.Bytes(new byte[1024], "application/octet-stream"));
        site.MapGet("/big", () => Results.Bytes(payload, "application/octet-stream"));
        await site.StartAsync().ConfigureAwait(false);
        var siteEndPoint = IPEndPoint.Parse(new Uri(site.Urls.First()).Authority);

        using var raw = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        raw.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        raw.Listen();
        _ = Task.Run(async () =>
        {
            while (true)
            {
                Socket c = await raw.AcceptAsync().ConfigureAwait(false);
                _ = Task.Run(async () =>
                {
                    using (c)
                    {
                        await c.SendAsync(payload, SocketFlags.None).ConfigureAwait(false);
                        c.Shutdown(SocketShutdown.Send);
                        _ = await c.ReceiveAsync(new byte[1], SocketFlags.None).ConfigureAwait(false);
                    }
                });
            }
        });

        var options = new DevnetOptions { Preset = preset, Seed = seed };
        options.Hosts[Host] = siteEndPoint;
        options.Hosts["raw.smolmix.test"] = (IPEndPoint)raw.LocalEndPoint!;
        using var cts = new CancellationTokenSource(TimeSpan.FromHours(1));
        await using Devnet.Devnet devnet = await Devnet.Devnet.StartAsync(options, cts.Token).ConfigureAwait(false);
        await using Tunnel tunnel = await Tunnel.ConnectAsync(new TunnelOptions { NymClient = devnet.NymClientUri, Exits = [devnet.ExitAddress] }, cts.Token).ConfigureAwait(false);
        var pings = new List<double>();
        for (int i = 0; i < 10; i++)
        {
            pings.Add((await tunnel.PingAsync(IPAddress.Parse("10.0.0.1"), cts.Token).ConfigureAwait(false)).TotalMilliseconds);
        }

        double rtt = Median(pings);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"preset={preset} seed={devnet.Seed} ping_rtt_p50_ms={rtt:0.0}"));
        var small = new Uri($"https://{Host}:{siteEndPoint.Port}/small");
        var trust = new TunnelTlsOptions { TrustedRoots = new X509Certificate2Collection(ca.Certificate) };

        var cold = new List<double>();
        var warm = new List<double>();
        var cachedName = new List<double>();
        long dnsQueriesCached = 0;
        for (int r = 0; r < repeat; r++)
        {
            SmolmixConnectionInfo? info = null;
            using (var handler = SmolmixHandler.Create(tunnel, new SmolmixHandlerOptions { Tls = trust, ConnectionEstablished = c => info = c }))
            using (var client = new HttpClient(handler))
            {
                var sw = Stopwatch.StartNew();
                (await client.GetAsync(small, cts.Token).ConfigureAwait(false)).EnsureSuccessStatusCode().Dispose();
                cold.Add(sw.Elapsed.TotalMilliseconds);
                sw.Restart();
                (await client.GetAsync(small, cts.Token).ConfigureAwait(false)).EnsureSuccessStatusCode().Dispose();
                warm.Add(sw.Elapsed.TotalMilliseconds);
                if (r == 0 && info is not null)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"cold connection: dns_ms={info.NameResolution.TotalMilliseconds:0} tcp_ms={info.TcpConnect.TotalMilliseconds:0} tls_ms={info.TlsHandshake.TotalMilliseconds:0} http={info.HttpVersion}"));
                }

                // A second handler sharing the first's resolver: a new connection, the name from the cache.
                using var again = SmolmixHandler.Create(tunnel, new SmolmixHandlerOptions { Tls = trust, Resolver = handler.Resolver });
                using var client2 = new HttpClient(again);
                long before = handler.Resolver.Statistics.QueriesSent;
                sw.Restart();
                (await client2.GetAsync(small, cts.Token).ConfigureAwait(false)).EnsureSuccessStatusCode().Dispose();
                cachedName.Add(sw.Elapsed.TotalMilliseconds);
                dnsQueriesCached += handler.Resolver.Statistics.QueriesSent - before;
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"cold HTTPS GET (DNS+TCP+TLS+request): n={repeat} median_ms={Median(cold):0} round_trips={Median(cold) / rtt:0.00}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"second GET, pooled connection: n={repeat} median_ms={Median(warm):0} round_trips={Median(warm) / rtt:0.00}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"GET on a new connection, name cached: n={repeat} median_ms={Median(cachedName):0} round_trips={Median(cachedName) / rtt:0.00} dns_queries={dnsQueriesCached}"));

        double https = await TimeAsync(async () =>
        {
            using var client = new HttpClient(SmolmixHandler.Create(tunnel, new SmolmixHandlerOptions { Tls = trust }));
            using HttpResponseMessage response = await client.GetAsync(new Uri($"https://{Host}:{siteEndPoint.Port}/big"), HttpCompletionOption.ResponseHeadersRead, cts.Token).ConfigureAwait(false);
            await using Stream body = await response.Content.ReadAsStreamAsync(cts.Token).ConfigureAwait(false);
            return await DrainAsync(body, cts.Token).ConfigureAwait(false);
        }, payload.Length).ConfigureAwait(false);
        IPEndPoint rawPublic = new(devnet.Hosts.Single(h => h.Name == "raw.smolmix.test").IPv4, ((IPEndPoint)raw.LocalEndPoint!).Port);
        double tcp = await TimeAsync(async () =>
        {
            await using TcpStream stream = await tunnel.ConnectTcpAsync(rawPublic, cts.Token).ConfigureAwait(false);
            return await DrainAsync(stream, cts.Token).ConfigureAwait(false);
        }, payload.Length).ConfigureAwait(false);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{mib} MiB download: https_goodput_kBps={https / 1000:0.0} raw_tcp_goodput_kBps={tcp / 1000:0.0} ratio={https / tcp:0.000}"));
        return 0;
    }

    private static async Task<double> TimeAsync(Func<Task<long>> download, long expected)
    {
        var sw = Stopwatch.StartNew();
        long bytes = await download().ConfigureAwait(false);
        if (bytes != expected)
        {
            throw new InvalidOperationException($"downloaded {bytes} bytes, expected {expected}");
        }

        return bytes / sw.Elapsed.TotalSeconds;
    }

    private static async Task<long> DrainAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        long total = 0;
        int n;
        while ((n = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            total += n;
        }

        return total;
    }

    private static double Median(List<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted[sorted.Length / 2];
    }
}
