using Smolmix.Devices;
using Smolmix.Simulation;
using Xunit.Abstractions;

namespace Smolmix.Tests.Tcp;

public class SimulatedTransferTests
{
    private readonly ITestOutputHelper _out;

    public SimulatedTransferTests(ITestOutputHelper output) => _out = output;

    [Fact]
    public void CleanPath_TransfersByteExact()
    {
        var path = new SimulatedPath(null, null);
        var r = path.RunTransfer(1 << 20, TimeSpan.FromSeconds(60));
        _out.WriteLine($"{r}");
        Assert.True(r.Completed);
        Assert.True(r.HashMatches);
        Assert.Equal(0, r.Retransmits);
    }

    /// <summary>
    /// The mixnet-shaped path: 1 s RTT (0.7–1.3 s per packet: 350 ms + Uniform(0, 300 ms) each
    /// way, so packets reorder), a 100 KB/s bottleneck both ways, 4 MiB. Runs on virtual time, so the
    /// figures are deterministic for a seed; the benchmark prints the same scenario across seeds.
    /// </summary>
    [Theory]
    [InlineData(0.0, 11, 0.85)]
    [InlineData(0.0, 13, 0.85)]
    [InlineData(0.01, 12, 0.50)]
    [InlineData(0.01, 14, 0.50)]
    public void MixnetPath_4MiB_ReachesBottleneckFraction(double loss, int seed, double minFraction)
    {
        ImpairmentOptions Dir(int s) => new()
        {
            Seed = s,
            LossRate = loss,
            BaseDelay = TimeSpan.FromMilliseconds(350),
            Jitter = DelayDistribution.Uniform(TimeSpan.Zero, TimeSpan.FromMilliseconds(300)),
            RateBytesPerSecond = 100_000,
        };
        var path = new SimulatedPath(Dir(seed), Dir(seed + 100));
        var r = path.RunTransfer(4 << 20, TimeSpan.FromSeconds(600), trace: Environment.GetEnvironmentVariable("SMOLMIX_TRACE") is null ? null : (t, c) => _out.WriteLine($"{t.TotalSeconds,6:0.0} {c.TraceLine()}"));
        double fraction = r.Bytes / r.DataElapsed.TotalSeconds / 100_000;
        var m = path.Client.Metrics;
        _out.WriteLine($"loss {loss}: {r.Bytes} B in {r.DataElapsed.TotalSeconds:0.0} s = {fraction:0.000} of the bottleneck; " +
            $"retx {r.Retransmits} (link lost {path.Forward.Counters?.DroppedByLoss}); recoveries {m.TcpRecoveries}; rto {m.TcpTimeouts}; {r.SenderInfo}");
        Assert.True(r.Completed && r.HashMatches, $"transfer incomplete or corrupt: {r}");
        Assert.True(fraction >= minFraction, $"goodput {fraction:0.000} of the bottleneck < {minFraction}");
    }

    [Theory]
    [InlineData(0.0, 1)]
    [InlineData(0.01, 2)]
    [InlineData(0.05, 3)]
    public void MixnetPath_TransfersByteExact(double loss, int seed)
    {
        ImpairmentOptions Dir(int s) => new()
        {
            Seed = s,
            LossRate = loss,
            BaseDelay = TimeSpan.FromMilliseconds(350),
            Jitter = DelayDistribution.Uniform(TimeSpan.Zero, TimeSpan.FromMilliseconds(300)),
            RateBytesPerSecond = 100_000,
        };
        var path = new SimulatedPath(Dir(seed), Dir(seed + 100));
        var r = path.RunTransfer(1 << 20, TimeSpan.FromSeconds(600));
        double rate = r.Bytes / r.DataElapsed.TotalSeconds;
        _out.WriteLine($"loss {loss}: {r.Bytes} B in {r.DataElapsed.TotalSeconds:0.0} s = {rate / 1000:0.0} kB/s; retx {r.Retransmits}; {r.SenderInfo}");
        Assert.True(r.Completed, $"did not complete: {r}");
        Assert.True(r.HashMatches);
    }
}
