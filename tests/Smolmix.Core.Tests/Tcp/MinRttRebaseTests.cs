using Smolmix.Devices;
using Smolmix.Simulation;
using Xunit.Abstractions;

namespace Smolmix.Tests.Tcp;

/// <summary>
/// Issue 10 item 7: the path model's base RTT (minimum smoothed RTT) must stay true on long transfers. It
/// used to expire after 120 s and be replaced by the current SRTT, which the 1.5 × BDP cap keeps inflated
/// by a standing queue; from then on the cap switched off and the bottleneck queue grew without bound.
/// 16 MiB over a 100 kB/s bottleneck takes ~170 s, on virtual time.
/// </summary>
public class MinRttRebaseTests(ITestOutputHelper output)
{
    private static ImpairmentOptions Dir(int seed, long queueLimit) => new()
    {
        Seed = seed,
        BaseDelay = TimeSpan.FromMilliseconds(255),
        Jitter = DelayDistribution.Gamma(3, TimeSpan.FromMilliseconds(15)),
        RateBytesPerSecond = 100_000,
        QueueLimitBytes = queueLimit,
    };

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void SixteenMiBUpload_PastTwoMinutes_KeepsStandingQueueBounded(int seed)
    {
        var path = new SimulatedPath(Dir(seed * 1000 + 1, 0), Dir(seed * 1000 + 2, 0), seed: seed);
        long maxEarly = 0, maxLate = 0, minSrttLate = long.MaxValue, maxSrttLate = 0;
        path.Forward.Tap = (_, now) =>
        {
            long q = path.Forward.BacklogBytes;
            if (now < TimeSpan.FromSeconds(120))
            {
                maxEarly = Math.Max(maxEarly, q);
            }
            else
            {
                maxLate = Math.Max(maxLate, q);
            }
        };
        var r = path.RunTransfer(16 << 20, TimeSpan.FromSeconds(900), trace: (t, c) =>
        {
            if (t >= TimeSpan.FromSeconds(120))
            {
                minSrttLate = Math.Min(minSrttLate, c.Info.MinSrttUs);
                maxSrttLate = Math.Max(maxSrttLate, c.Info.SrttUs);
            }
            if (Environment.GetEnvironmentVariable("SMOLMIX_TRACE") is not null)
            {
                output.WriteLine($"{t.TotalSeconds,6:0.0} q {path.Forward.BacklogBytes / 1000}K {c.TraceLine()}");
            }
        });
        double fraction = r.Bytes / r.DataElapsed.TotalSeconds / 100_000;
        output.WriteLine($"{r.DataElapsed.TotalSeconds:0.0} s, {fraction:0.000} of the bottleneck; max backlog before 120 s {maxEarly / 1000} KB, " +
            $"after {maxLate / 1000} KB; after 120 s SRTT ≤ {maxSrttLate / 1000} ms, min SRTT ≥ {minSrttLate / 1000} ms; " +
            $"probes {path.Client.Metrics.TcpMinRttProbes}; {r.SenderInfo}");
        Assert.True(r.Completed && r.HashMatches);
        Assert.True(r.DataElapsed > TimeSpan.FromSeconds(150), "the transfer must run well past the old 120 s expiry");
        // BDP is ~60 KB (0.6 s × 100 kB/s); the cap allows 1.5 × BDP in flight, i.e. a standing queue of ~0.5 × BDP.
        Assert.InRange(maxLate, 0, 80_000); // before the fix: 144–153 KB, SRTT up to 1.8 s, min SRTT re-based to ~960 ms
        Assert.InRange(minSrttLate, 500_000, 700_000);
        Assert.True(fraction >= 0.94, $"goodput {fraction:0.000} of the bottleneck");
    }

    [Fact]
    public void SixteenMiBUpload_DropTailQueue_NoDropsAfterTwoMinutes()
    {
        var path = new SimulatedPath(Dir(3001, 128 << 10), Dir(3002, 128 << 10), seed: 3);
        long dropsAt120 = -1;
        var r = path.RunTransfer(16 << 20, TimeSpan.FromSeconds(900), trace: (t, _) =>
        {
            if (dropsAt120 < 0 && t >= TimeSpan.FromSeconds(120))
            {
                dropsAt120 = path.Forward.Counters!.Value.DroppedByQueue;
            }
        });
        long drops = path.Forward.Counters!.Value.DroppedByQueue;
        output.WriteLine($"{r.DataElapsed.TotalSeconds:0.0} s; queue drops before 120 s {dropsAt120}, after {drops - dropsAt120}; retx {r.Retransmits}; {r.SenderInfo}");
        Assert.True(r.Completed && r.HashMatches);
        Assert.True(dropsAt120 >= 0 && r.DataElapsed > TimeSpan.FromSeconds(150));
        Assert.InRange(drops - dropsAt120, 0, 5); // before the fix: 12
    }
}
