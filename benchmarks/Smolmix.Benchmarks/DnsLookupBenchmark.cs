using System.Diagnostics;
using System.Globalization;
using System.Net;
using Smolmix.Devnet;
using Smolmix.Dns;

using Smolmix.CommandLine;

namespace Smolmix.Benchmarks;

/// <summary>
/// <c>dns-lookups</c>: name resolution through a real <see cref="Tunnel"/> and an embedded Devnet (its
/// own zone at the default resolver addresses), in real time. Prints the tunnel's ping round trip as
/// the yardstick, then for cold lookups (A and AAAA in parallel) the queries sent and the time in
/// round trips, p50/p90; cached lookups (queries sent, time); and lookups per second with many
/// distinct names at once.
/// </summary>
public static class DnsLookupBenchmark
{
    private const string Usage = "usage: Smolmix.Benchmarks dns-lookups [--preset instant|nym|harsh (nym)] [--cold N (20)] [--concurrent N (100)] [--seed N (1)]";

    public static async Task<int> RunAsync(string[] args)
    {
        var preset = DevnetPreset.Nym;
        int cold = 20, concurrent = 100, seed = 1;
        var reader = new ArgReader(args);
        while (reader.Next(out string? arg))
        {
            switch (arg)
            {
                case "--preset": preset = reader.Choice(arg, ("instant", DevnetPreset.Instant), ("nym", DevnetPreset.Nym), ("harsh", DevnetPreset.Harsh)); break;
                case "--cold": cold = reader.Int(arg, 1, 10_000); break;
                case "--concurrent": concurrent = reader.Int(arg, 1, 10_000); break;
                case "--seed": seed = reader.Int(arg, int.MinValue, int.MaxValue); break;
                case "-h" or "--help": Console.WriteLine(Usage); return 0;
                default: throw reader.Unknown(arg);
            }
        }

        var options = new DevnetOptions { Preset = preset, Seed = seed };
        string[] coldNames = Enumerable.Range(0, cold).Select(i => $"cold{i}.bench.test").ToArray();
        string[] burstNames = Enumerable.Range(0, concurrent).Select(i => $"burst{i}.bench.test").ToArray();
        int port = 30000;
        foreach (string name in coldNames.Concat(burstNames))
        {
            options.Hosts[name] = new IPEndPoint(IPAddress.Loopback, port++);
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(20));
        await using Devnet.Devnet devnet = await Devnet.Devnet.StartAsync(options, cts.Token).ConfigureAwait(false);
        await using Tunnel tunnel = await Tunnel.ConnectAsync(new TunnelOptions { NymClient = devnet.NymClientUri, Exits = [devnet.ExitAddress] }, cts.Token).ConfigureAwait(false);
        await using var resolver = new TunnelResolver(tunnel);

        var pings = new List<double>();
        for (int i = 0; i < 10; i++)
        {
            pings.Add((await tunnel.PingAsync(IPAddress.Parse("10.0.0.1"), cts.Token).ConfigureAwait(false)).TotalMilliseconds);
        }

        double rtt = Percentile(pings, 0.5);
        Console.WriteLine($"preset={preset} seed={devnet.Seed} ping_rtt_p50_ms={rtt:0.0} ping_rtt_p90_ms={Percentile(pings, 0.9):0.0}");

        var coldMs = new List<double>();
        long coldQueries = 0;
        foreach (string name in coldNames)
        {
            long before = resolver.Statistics.QueriesSent;
            var sw = Stopwatch.StartNew();
            await resolver.GetHostAddressesAsync(name, cts.Token).ConfigureAwait(false);
            coldMs.Add(sw.Elapsed.TotalMilliseconds);
            coldQueries += resolver.Statistics.QueriesSent - before;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"cold lookup (A+AAAA): n={cold} queries_per_lookup={(double)coldQueries / cold:0.00} retransmissions={resolver.Statistics.Retransmissions} " +
            $"p50_ms={Percentile(coldMs, 0.5):0.0} p90_ms={Percentile(coldMs, 0.9):0.0} round_trips_p50={Percentile(coldMs, 0.5) / rtt:0.00} round_trips_p90={Percentile(coldMs, 0.9) / rtt:0.00}"));

        var cachedUs = new List<double>();
        long cachedBefore = resolver.Statistics.QueriesSent;
        long egressBefore = devnet.Counters.Exit.PacketsToEgress;
        foreach (string name in coldNames)
        {
            var sw = Stopwatch.StartNew();
            await resolver.GetHostAddressesAsync(name, cts.Token).ConfigureAwait(false);
            cachedUs.Add(sw.Elapsed.TotalMicroseconds);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"cached lookup: n={cold} queries={resolver.Statistics.QueriesSent - cachedBefore} packets_to_exit_egress={devnet.Counters.Exit.PacketsToEgress - egressBefore} " +
            $"p50_us={Percentile(cachedUs, 0.5):0.0} p90_us={Percentile(cachedUs, 0.9):0.0} max_us={cachedUs.Max():0.0}"));

        long burstBefore = resolver.Statistics.QueriesSent;
        long retransBefore = resolver.Statistics.Retransmissions;
        var burst = Stopwatch.StartNew();
        await Task.WhenAll(burstNames.Select(n => resolver.GetHostAddressesAsync(n, cts.Token))).ConfigureAwait(false);
        burst.Stop();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"concurrent distinct names: n={concurrent} seconds={burst.Elapsed.TotalSeconds:0.00} lookups_per_second={concurrent / burst.Elapsed.TotalSeconds:0.0} " +
            $"queries={resolver.Statistics.QueriesSent - burstBefore} retransmissions={resolver.Statistics.Retransmissions - retransBefore} round_trips={burst.Elapsed.TotalMilliseconds / rtt:0.00}"));
        return 0;
    }

    private static double Percentile(List<double> values, double p)
    {
        double[] sorted = [.. values.Order()];
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
    }
}
