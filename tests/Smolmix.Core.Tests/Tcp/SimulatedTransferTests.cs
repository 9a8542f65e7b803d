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
