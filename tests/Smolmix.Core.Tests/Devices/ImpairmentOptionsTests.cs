using Smolmix.Devices;

namespace Smolmix.Tests.Devices;

public class ImpairmentOptionsTests
{
    [Theory]
    [InlineData(-0.01)]
    [InlineData(1.01)]
    [InlineData(double.NaN)]
    public void Rates_OutsideZeroToOne_AreRejected(double rate)
    {
        Assert.Equal("LossRate", Assert.Throws<ArgumentOutOfRangeException>(() => new ImpairmentOptions { LossRate = rate }).ParamName);
        Assert.Equal("DuplicateRate", Assert.Throws<ArgumentOutOfRangeException>(() => new ImpairmentOptions { DuplicateRate = rate }).ParamName);
        Assert.Equal("CorruptRate", Assert.Throws<ArgumentOutOfRangeException>(() => new ImpairmentOptions { CorruptRate = rate }).ParamName);
    }

    [Fact]
    public void NegativeDelaysRatesAndLimits_AreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImpairmentOptions { BaseDelay = TimeSpan.FromTicks(-1) });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImpairmentOptions { RateBytesPerSecond = -1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImpairmentOptions { QueueLimitBytes = -1 });
        Assert.Throws<ArgumentNullException>(() => new ImpairmentOptions { Jitter = null! });
    }

    [Fact]
    public void Defaults_AreNoImpairment()
    {
        var o = new ImpairmentOptions();
        Assert.Equal(0, o.LossRate);
        Assert.Equal(0, o.DuplicateRate);
        Assert.Equal(0, o.CorruptRate);
        Assert.Equal(TimeSpan.Zero, o.BaseDelay);
        Assert.Same(DelayDistribution.None, o.Jitter);
        Assert.Equal(0, o.RateBytesPerSecond);
        Assert.Equal(0, o.QueueLimitBytes);
        var edges = new ImpairmentOptions { LossRate = 0, DuplicateRate = 1, CorruptRate = 1 };
        Assert.Equal(1, edges.DuplicateRate);
    }

    [Fact]
    public void DelayDistributions_ValidateTheirArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => DelayDistribution.Constant(TimeSpan.FromMilliseconds(-1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => DelayDistribution.Uniform(TimeSpan.FromMilliseconds(-1), TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => DelayDistribution.Uniform(TimeSpan.FromMilliseconds(2), TimeSpan.FromMilliseconds(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => DelayDistribution.Exponential(TimeSpan.FromMilliseconds(-1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => DelayDistribution.Gamma(0, TimeSpan.FromMilliseconds(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => DelayDistribution.Gamma(3, TimeSpan.FromMilliseconds(-1)));
    }

    [Fact]
    public void DelayDistributions_SampleWithTheRightMean()
    {
        var rng = new Random(3);
        var ms = TimeSpan.FromMilliseconds(1);
        Assert.Equal(ms * 5, DelayDistribution.Constant(ms * 5).Sample(rng));
        Assert.Equal(ms * 20, DelayDistribution.Uniform(ms * 10, ms * 30).Mean);
        Assert.Equal(ms * 30, DelayDistribution.Gamma(3, ms * 10).Mean);
        Assert.Equal(ms * 7, DelayDistribution.Exponential(ms * 7).Mean);

        var exponential = DelayDistribution.Exponential(ms * 10);
        double mean = Enumerable.Range(0, 100_000).Average(_ => exponential.Sample(rng).TotalMilliseconds);
        Assert.InRange(mean, 9.8, 10.2);
        Assert.Equal(ms * 4, DelayDistribution.Uniform(ms * 4, ms * 4).Sample(rng));
    }
}
