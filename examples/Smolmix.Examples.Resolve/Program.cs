using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Smolmix;
using Smolmix.CommandLine;
using Smolmix.Devnet;
using Smolmix.Dns;

// smolmix-resolve: resolves names through a Smolmix tunnel; no query reaches the system resolver.
//
//   smolmix-resolve [name ...]                       through an embedded Devnet (its own zone)
//   smolmix-resolve --nym-client ws://127.0.0.1:1977 --exit <IPR address> example.com
//                   [--server 9.9.9.9[:53]] [--tls dns.quad9.net] [--type MX] [--preset nym]
//
// Each name is asked twice: the second answer comes from the cache (0 round trips).
const string Usage = "usage: smolmix-resolve [--nym-client URI --exit ADDRESS] [--server IP[:PORT]] [--tls NAME] [--type TYPE] [--preset instant|nym|harsh] [name ...] [--timeout SECONDS] [-v]\nexit codes: 0 ok, 1 failed (one line says why), 2 usage error, 130 interrupted";
return await CommandRunner.RunAsync("smolmix-resolve", args, async interrupt =>
{
    TimeSpan timeout = TimeSpan.FromMinutes(5);
    var names = new List<string>();
    var opts = new Dictionary<string, string>(StringComparer.Ordinal);
    var preset = DevnetPreset.Nym;
    var reader = new ArgReader(args);
    DnsRecordType type = DnsRecordType.A;
    IPEndPoint? server = null;
    string? tlsName = null;
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
            case "--type":
                string typeText = reader.Value(arg);
                if (!Enum.TryParse(typeText, ignoreCase: true, out type) || int.TryParse(typeText, out _))
                {
                    throw ArgReader.Bad(arg, $"a record type ({string.Join(", ", Enum.GetNames<DnsRecordType>())})", typeText);
                }

                break;
            case "--server":
                string serverText = reader.Value(arg);
                if (!IPEndPoint.TryParse(serverText, out server))
                {
                    throw ArgReader.Bad(arg, "IP or IP:PORT", serverText);
                }

                break;
            case "--tls": tlsName = reader.Value(arg); break;
            default:
                if (arg.StartsWith('-'))
                {
                    throw reader.Unknown(arg);
                }

                names.Add(arg);
                break;
        }
    }

    bool embedded = !opts.ContainsKey("nym-client");
    if (!embedded && !opts.ContainsKey("exit"))
    {
        throw new UsageException("--nym-client needs --exit");
    }

    if (embedded && opts.ContainsKey("exit"))
    {
        throw new UsageException("--exit goes with --nym-client (without it, the example brings its own embedded Devnet)");
    }

    if (tlsName is not null && server is null)
    {
        throw new UsageException("--tls needs --server (the resolver's address)");
    }

    var resolverOptions = new TunnelResolverOptions();
    if (server is not null)
    {
        if (server.Port == 0)
        {
            server.Port = tlsName is not null ? 853 : 53;
        }

        resolverOptions.Servers = [tlsName is not null ? DnsServer.Tls(server, tlsName) : new DnsServer(server)];
    }

    using var cts = CancellationTokenSource.CreateLinkedTokenSource(interrupt);
    cts.CancelAfter(timeout);

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

        CommandRunner.Step($"connecting the tunnel through {nymClient}");
        var clock = Stopwatch.StartNew();
        await using Tunnel tunnel = await Tunnel.ConnectAsync(new TunnelOptions { NymClient = nymClient, Exits = [exit], ConnectTimeout = timeout }, cts.Token);
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
    finally
    {
        if (devnet is not null)
        {
            await devnet.DisposeAsync();
        }
    }
});
