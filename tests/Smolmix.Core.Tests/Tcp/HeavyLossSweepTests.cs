using Smolmix.Devices;
using Smolmix.Simulation;
using Xunit.Abstractions;

namespace Smolmix.Tests.Tcp;

/// <summary>
/// Issue 10 item 8: at 20 % loss each way (RTT ~15 ms, reordering jitter) a 4 MiB transfer must finish on
/// every seed within 10× the median time. Before the fix 3 of 10 seeds took 358–486 s (SRTT 5–9 s, RTO
/// pinned at 60 s) where the others took 3–7 s. Runs on virtual time (<see cref="SimulatedPath"/>).
/// </summary>
public class HeavyLossSweepTests(ITestOutputHelper output)
{
    private static ImpairmentOptions Dir(int seed) => new()
    {
        Seed = seed,
        LossRate = 0.20,
        BaseDelay = TimeSpan.FromMilliseconds(5),
        Jitter = DelayDistribution.Uniform(TimeSpan.Zero, TimeSpan.FromMilliseconds(5)),
    };

    [Fact]
    public void FourMiB_At20PercentLoss_EverySeedWithin10xMedian()
    {
        const int Seeds = 24;
        var times = new double[Seeds];
        var lines = new List<string>();
        string? only = Environment.GetEnvironmentVariable("SMOLMIX_SWEEP_SEED");
        for (int seed = 1; seed <= Seeds; seed++)
        {
            if (only is not null && seed != int.Parse(only, System.Globalization.CultureInfo.InvariantCulture))
            {
                times[seed - 1] = 1;
                continue;
            }
            var path = new SimulatedPath(Dir(seed * 7919), Dir(seed * 7919 + 1), seed: seed);
            long maxSrtt = 0, maxRto = 0;
            var big = new Dictionary<string, (int Count, long Max)>();
            var r = path.RunTransfer(4 << 20, TimeSpan.FromSeconds(900), trace: (_, c) =>
            {
                c.RttSampleTrace ??= (src, us) =>
                {
                    if (us > 100_000)
                    {
                        var e = big.GetValueOrDefault(src);
                        big[src] = (e.Count + 1, Math.Max(e.Max, us));
                    }
                };
                var i = c.Info;
                maxSrtt = Math.Max(maxSrtt, i.SrttUs);
                maxRto = Math.Max(maxRto, i.RtoUs);
                if (only is not null)
                {
                    output.WriteLine($"{path.Clock.Now.TotalSeconds,8:0.00} rto {i.RtoUs / 1000} {c.TraceLine()} rtos {path.Client.Metrics.TcpTimeouts}");
                }
            }, traceInterval: TimeSpan.FromMilliseconds(50));
            times[seed - 1] = r.DataElapsed.TotalSeconds;
            var m = path.Client.Metrics;
            string line = $"seed {seed,2}: {(r.Completed && r.HashMatches ? "ok " : "BAD")} {r.DataElapsed.TotalSeconds,7:0.00} s, retx {r.Retransmits}, rto {m.TcpTimeouts}, " +
                $"max SRTT {maxSrtt / 1000.0:0.0} ms, max RTO {maxRto / 1000.0:0} ms; samples > 100 ms: {string.Join(", ", big.Select(kv => $"{kv.Key} {kv.Value.Count} (max {kv.Value.Max / 1000} ms)"))}";
            lines.Add(line);
            output.WriteLine(line);
            Assert.True(r.Completed && r.HashMatches, line);
        }
        var sorted = times.Order().ToArray();
        double median = (sorted[Seeds / 2 - 1] + sorted[Seeds / 2]) / 2;
        double max = sorted[^1];
        output.WriteLine($"median {median:0.00} s, max {max:0.00} s, max/median {max / median:0.00}");
        Assert.True(max <= 10 * median, $"max {max:0.00} s > 10 × median {median:0.00} s");
    }
}
