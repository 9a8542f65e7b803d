using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Smolmix;
using Smolmix.Devnet;
using Smolmix.Dns;

// smolmix-resolve: resolves names through a Smolmix tunnel; no query reaches the system resolver.
//
//   smolmix-resolve [name ...]                       through an embedded Devnet (its own zone)
//   smolmix-resolve --nym-client ws://127.0.0.1:1977 --exit <IPR address> example.com
//                   [--server 9.9.9.9[:53]] [--tls dns.quad9.net] [--type MX] [--preset nym]
//
// Each name is asked twice: the second answer comes from the cache (0 round trips).
const string Usage = "usage: smolmix-resolve [--nym-client URI --exit ADDRESS] [--server IP[:PORT]] [--tls NAME] [--type TYPE] [--preset instant|nym|harsh] [name ...]";
var names = new List<string>();
var opts = new Dictionary<string, string>(StringComparer.Ordinal);
for (int i = 0; i < args.Length; i++)
{
    if (args[i] is "-h" or "--help")
    {
        Console.WriteLine(Usage);
        return 0;
    }

    if (args[i].StartsWith("--", StringComparison.Ordinal))
    {
        if (i + 1 >= args.Length)
        {
            Console.Error.WriteLine($"smolmix-resolve: {args[i]} needs a value\n{Usage}");
            return 2;
        }

        opts[args[i][2..]] = args[++i];
    }
    else
    {
        names.Add(args[i]);
    }
}

DnsRecordType type = DnsRecordType.A;
if (opts.TryGetValue("type", out string? typeText) && !Enum.TryParse(typeText, ignoreCase: true, out type))
{
    Console.Error.WriteLine($"smolmix-resolve: --type {typeText} is not a record type ({string.Join(", ", Enum.GetNames<DnsRecordType>())})");
    return 2;
}

var preset = DevnetPreset.Nym;
if (opts.TryGetValue("preset", out string? presetText) && !Enum.TryParse(presetText, ignoreCase: true, out preset))
{
    Console.Error.WriteLine($"smolmix-resolve: --preset {presetText} is not one of instant, nym, harsh");
    return 2;
}

bool embedded = !opts.ContainsKey("nym-client");
if (!embedded && !opts.ContainsKey("exit"))
{
    Console.Error.WriteLine($"smolmix-resolve: --nym-client needs --exit\n{Usage}");
    return 2;
}

var resolverOptions = new TunnelResolverOptions();
if (opts.TryGetValue("server", out string? serverText))
{
    if (!IPEndPoint.TryParse(serverText, out IPEndPoint? server))
    {
        Console.Error.WriteLine($"smolmix-resolve: --server {serverText} is not IP or IP:PORT");
        return 2;
    }

    if (server.Port == 0)
    {
        server.Port = opts.ContainsKey("tls") ? 853 : 53;
    }

    resolverOptions.Servers = [opts.TryGetValue("tls", out string? tlsName) ? DnsServer.Tls(server, tlsName) : new DnsServer(server)];
}

using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cts.Cancel();
};

Devnet? devnet = null;
try
{
    Uri nymClient;
    string exit;
    if (embedded)
    {
        var devnetOptions = new DevnetOptions { Preset = preset };
        devnetOptions.Hosts["demo.smolmix.test"] = new IPEndPoint(IPAddress.Loopback, 8443);
        devnetOptions.Hosts["api.smolmix.test"] = new IPEndPoint(IPAddress.Loopback, 8080);
        devnetOptions.DnsRecords.Add(new CnameRecord("www.smolmix.test", TimeSpan.FromMinutes(5), "demo.smolmix.test"));
        devnetOptions.DnsRecords.Add(new MxRecord("smolmix.test", TimeSpan.FromMinutes(5), 10, "mail.smolmix.test"));
        devnetOptions.DnsRecords.Add(new TxtRecord("smolmix.test", TimeSpan.FromMinutes(5), "v=spf1 -all"));
        devnet = await Devnet.StartAsync(devnetOptions, cts.Token);
        nymClient = devnet.NymClientUri;
        exit = devnet.ExitAddress;
        Console.WriteLine($"embedded Devnet ({preset}) at {nymClient}; its zone: {string.Join(", ", devnet.Hosts.Select(h => h.Name))}, www.smolmix.test (CNAME), smolmix.test (MX, TXT)");
        if (names.Count == 0)
        {
            names.AddRange(["www.smolmix.test", "api.smolmix.test", "missing.smolmix.test"]);
        }
    }
    else
    {
        nymClient = new Uri(opts["nym-client"]);
        exit = opts["exit"];
        if (names.Count == 0)
        {
            Console.Error.WriteLine($"smolmix-resolve: name a host to resolve\n{Usage}");
            return 2;
        }
    }

    var clock = Stopwatch.StartNew();
    await using Tunnel tunnel = await Tunnel.ConnectAsync(new TunnelOptions { NymClient = nymClient, Exits = [exit] }, cts.Token);
    Console.WriteLine($"tunnel ready in {clock.ElapsedMilliseconds} ms ({tunnel.IPv4Address}, IPR v{tunnel.ProtocolVersion})");
    await using var resolver = new TunnelResolver(tunnel, resolverOptions);
    Console.WriteLine($"servers: {string.Join(", ", resolver.Servers)}");

    int failures = 0;
    foreach (string name in names)
    {
        for (int pass = 0; pass < 2; pass++)
        {
            long sentBefore = resolver.Statistics.QueriesSent;
            var sw = Stopwatch.StartNew();
            try
            {
                string result;
                bool cached;
                if (type == DnsRecordType.A)
                {
                    int hitsBefore = (int)resolver.Statistics.CacheHits;
                    IPAddress[] addresses = await resolver.GetHostAddressesAsync(name, cts.Token);
                    result = string.Join(" ", addresses.Select(a => a.ToString()));
                    cached = resolver.Statistics.CacheHits > hitsBefore;
                }
                else
                {
                    DnsAnswer answer = await resolver.QueryAsync(name, type, cts.Token);
                    result = answer.ResponseCode == DnsResponseCode.NameError ? "NXDOMAIN"
                        : answer.Records.Count == 0 ? "(no records)"
                        : string.Join(" | ", answer.Records);
                    cached = answer.FromCache;
                }

                Console.WriteLine($"{name,-24} {(type == DnsRecordType.A ? "A+AAAA" : type.ToString()),-6} {sw.Elapsed.TotalMilliseconds,8:0.0} ms  {resolver.Statistics.QueriesSent - sentBefore} queries{(cached ? " (cache)" : string.Empty)}  {result}");
            }
            catch (DnsResolutionException ex)
            {
                Console.WriteLine($"{name,-24} {type,-6} {sw.Elapsed.TotalMilliseconds,8:0.0} ms  {ex.SocketErrorCode}: {ex.Message}");
                if (pass == 0)
                {
                    failures++;
                }
            }
            catch (ArgumentException ex)
            {
                Console.WriteLine($"{name,-24} invalid name: {ex.Message}");
                failures++;
                break;
            }
        }
    }

    TunnelResolverStatistics s = resolver.Statistics;
    Console.WriteLine($"lookups={s.Lookups} cache_hits={s.CacheHits} queries={s.QueriesSent} retransmissions={s.Retransmissions} tcp_fallbacks={s.TcpFallbacks} failures={failures}");
    return failures == 0 ? 0 : 1;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("smolmix-resolve: cancelled");
    return 130;
}
catch (Exception ex) when (ex is TimeoutException or IOException or SocketException or ArgumentException)
{
    Console.Error.WriteLine($"smolmix-resolve: {ex.Message}");
    return 3;
}
finally
{
    if (devnet is not null)
    {
        await devnet.DisposeAsync();
    }
}
