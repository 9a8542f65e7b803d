using System.Diagnostics;
using System.Globalization;
using Smolmix.Benchmarks.Infrastructure;

namespace Smolmix.Benchmarks;

/// <summary>
/// <c>compare-kernel</c>: the same bulk transfer through Linux kernel TCP on 127.0.0.1 and through two
/// Smolmix stacks over an in-memory link, in alternating rounds of one process, with the same
/// application write/read sizes and the same copy loop (<see cref="StreamPair.TransferAsync"/>).
/// </summary>
public static class KernelComparison
{
    private const string Usage =
        "usage: Smolmix.Benchmarks compare-kernel [--mib N (256)] [--rounds N (5)] [--write-kib N (64)] [--read-kib N (256)] [--mtu N (1420)] [--pool-stats]";

    public static async Task<int> RunAsync(string[] args)
    {
        var a = new Args(args);
        if (a.Help)
        {
            Console.WriteLine(Usage);
            return 0;
        }
        long bytes = a.Long("--mib", 256, 1, 1 << 20) << 20;
        int rounds = (int)a.Long("--rounds", 5, 1, 1000);
        int writeSize = (int)a.Long("--write-kib", 64, 1, 1 << 20) * 1024;
        int readSize = (int)a.Long("--read-kib", 256, 1, 1 << 20) * 1024;
        int mtu = (int)a.Long("--mtu", 1420, 1280, 65535);
        int ourMss = mtu - 40;
        bool poolStats = a.Flag("--pool-stats");
        a.ThrowIfUnused();

        var write = new byte[writeSize];
        var read = new byte[readSize];
        new Random(1).NextBytes(write);

        var contenders = new (string Key, Func<Task<StreamPair>> Create)[]
        {
            ("kernel", () => StreamPair.KernelLoopbackAsync()),
            ("kernel-mss", () => StreamPair.KernelLoopbackAsync(ourMss)),
            ("smolmix", () => StreamPair.SmolmixInMemoryAsync(mtu)),
        };
        // Opt-in: an event listener on ArrayPool adds a little cost to every pool miss.
        using var pool = poolStats ? new ArrayPoolMonitor() : null;
        var results = contenders.ToDictionary(c => c.Key, _ => new List<(double MBps, double CpuSecPerGB)>());

        Console.WriteLine($"compare-kernel: {bytes >> 20} MiB per transfer, {rounds} rounds (+1 warm-up), writes {writeSize / 1024} KiB, reads {readSize / 1024} KiB, " +
                          $"{Environment.ProcessorCount} CPUs, .NET {Environment.Version}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine("kernel-mss clamps the kernel's MSS (TCP_MAXSEG) to Smolmix's " + ourMss + " so both handle the same segment count.");
        Console.WriteLine("CPU = process user+system time per GB moved (loopback softirq work is mostly charged to the process).");
        Console.WriteLine("alloc = managed bytes allocated per MiB moved; pool (--pool-stats) = ArrayPool and packet-buffer pool misses (new arrays) / buffers dropped on return, per MiB.");
        Console.WriteLine();
        Console.WriteLine($"{"round",-6}{"stack",-30}{"MB/s",10}{"CPU s/GB",10}{"alloc/MiB",11}{"pool/MiB",12}");
        for (int round = 0; round <= rounds; round++)
        {
            // Alternate the order so drift (thermal, neighbours) does not favour one contender.
            var order = round % 2 == 0 ? contenders : contenders.Reverse().ToArray();
            foreach (var (key, create) in order)
            {
                await using var pair = await create().ConfigureAwait(false);
                // A short untimed transfer first: connection warm-up (slow start, window autotuning).
                await StreamPair.TransferAsync(pair.Sender, pair.Receiver, Math.Min(bytes, 16L << 20), write, read, writeSize).ConfigureAwait(false);
                GC.Collect();
                GC.WaitForPendingFinalizers();
                var proc = Process.GetCurrentProcess();
                var cpu0 = proc.TotalProcessorTime;
                var before = pair.Counters?.Invoke();
                long alloc0 = GC.GetTotalAllocatedBytes(false);
                long poolAlloc0 = (pool?.Allocated ?? 0) + Devices.PacketBuffers.Created, poolDrop0 = (pool?.Dropped ?? 0) + Devices.PacketBuffers.Dropped;
                var sw = Stopwatch.StartNew();
                await StreamPair.TransferAsync(pair.Sender, pair.Receiver, bytes, write, read, writeSize).ConfigureAwait(false);
                sw.Stop();
                proc.Refresh();
                double mib = bytes / (double)(1 << 20);
                double allocPerMiB = (GC.GetTotalAllocatedBytes(false) - alloc0) / mib;
                string poolPerMiB = pool is null ? "-" :
                    $"{(pool.Allocated + Devices.PacketBuffers.Created - poolAlloc0) / mib:0.0}/{(pool.Dropped + Devices.PacketBuffers.Dropped - poolDrop0) / mib:0.0}";
                double cpu = (proc.TotalProcessorTime - cpu0).TotalSeconds;
                double mbps = bytes / sw.Elapsed.TotalSeconds / 1e6;
                double cpuPerGB = cpu / (bytes / 1e9);
                string label = round == 0 ? "warm" : round.ToString(CultureInfo.InvariantCulture);
                string extra = before is StackCounters b0 ? "   " + (pair.Counters!() - b0) : "";
                Console.WriteLine($"{label,-6}{pair.Name,-30}{mbps,10:N1}{cpuPerGB,10:N2}{FormatBytes(allocPerMiB),11}{poolPerMiB,12}{extra}");
                if (round > 0)
                {
                    results[key].Add((mbps, cpuPerGB));
                }
            }
        }

        Console.WriteLine();
        Console.WriteLine($"{"median of " + rounds + " rounds",-36}{"MB/s",10}{"CPU s/GB",10}");
        var med = results.ToDictionary(r => r.Key, r => (MBps: Median(r.Value.Select(v => v.MBps)), Cpu: Median(r.Value.Select(v => v.CpuSecPerGB))));
        foreach (var (key, _) in contenders)
        {
            Console.WriteLine($"{key,-36}{med[key].MBps,10:N1}{med[key].Cpu,10:N2}");
        }
        Console.WriteLine();
        Console.WriteLine($"ratio smolmix / kernel            {med["smolmix"].MBps / med["kernel"].MBps,8:0.000}");
        Console.WriteLine($"ratio smolmix / kernel-mss        {med["smolmix"].MBps / med["kernel-mss"].MBps,8:0.000}");
        var perRound = results["smolmix"].Zip(results["kernel"], (o, k) => o.MBps / k.MBps).ToList();
        Console.WriteLine($"median of per-round ratios (vs kernel) {Median(perRound),6:0.000}");
        return 0;
    }

    private static string FormatBytes(double b) => b >= 1 << 20 ? $"{b / (1 << 20):0.00} MiB" : b >= 1024 ? $"{b / 1024:0.0} KiB" : $"{b:0} B";

    internal static double Median(IEnumerable<double> values)
    {
        var v = values.OrderBy(x => x).ToArray();
        if (v.Length == 0)
        {
            return double.NaN;
        }
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[(v.Length / 2) - 1] + v[v.Length / 2]) / 2;
    }
}
