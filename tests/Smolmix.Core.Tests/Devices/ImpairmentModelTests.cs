using CsCheck;
using Smolmix.Devices;

namespace Smolmix.Tests.Devices;

public class ImpairmentModelTests
{
    private const int Decisions = 100_000;

    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    /// <summary>Asserts a measured rate lies within 5 standard errors of the expected probability.</summary>
    private static void AssertRate(double expected, long hits, long trials)
    {
        double measured = (double)hits / trials;
        double tolerance = 5 * Math.Sqrt(expected * (1 - expected) / trials);
        Assert.InRange(measured, expected - tolerance, expected + tolerance);
    }

    [Fact]
    public void LossDuplicateAndCorruptRates_MatchTheConfiguration()
    {
        var model = new ImpairmentModel(new ImpairmentOptions { Seed = 42, LossRate = 0.1, DuplicateRate = 0.05, CorruptRate = 0.02 });
        long dropped = 0, duplicated = 0, corrupted = 0;
        int minIndex = int.MaxValue, maxIndex = -1;
        for (int i = 0; i < Decisions; i++)
        {
            var d = model.Decide(100, Ms(i));
            if (d.Dropped)
            {
                Assert.Equal(ImpairmentDropReason.Loss, d.DropReason);
                dropped++;
                continue;
            }

            duplicated += d.Duplicated ? 1 : 0;
            if (d.CorruptByteIndex >= 0)
            {
                corrupted++;
                minIndex = Math.Min(minIndex, d.CorruptByteIndex);
                maxIndex = Math.Max(maxIndex, d.CorruptByteIndex);
            }
        }

        AssertRate(0.1, dropped, Decisions);
        long survivors = Decisions - dropped;
        AssertRate(0.05, duplicated, survivors);
        AssertRate(0.02, corrupted, survivors);
        Assert.Equal(0, minIndex);
        Assert.Equal(99, maxIndex);

        var c = model.Counters;
        Assert.Equal(Decisions, c.PacketsSeen);
        Assert.Equal(dropped, c.DroppedByLoss);
        Assert.Equal(0, c.DroppedByQueue);
        Assert.Equal(duplicated, c.Duplicated);
        Assert.Equal(corrupted, c.Corrupted);
    }

    [Fact]
    public void NoImpairment_DeliversEverythingAtOnce()
    {
        var model = new ImpairmentModel(new ImpairmentOptions());
        for (int i = 0; i < 1000; i++)
        {
            var d = model.Decide(1000, Ms(i));
            Assert.False(d.Dropped);
            Assert.False(d.Duplicated);
            Assert.Equal(-1, d.CorruptByteIndex);
            Assert.Equal(Ms(i), d.DeliverAt);
        }
    }

    [Theory]
    [InlineData(3, 10.0)]
    [InlineData(1, 50.0)]
    public void GammaJitter_HasTheConfiguredMeanAndVariance(int shape, double scaleMs)
    {
        var model = new ImpairmentModel(new ImpairmentOptions { Seed = 7, BaseDelay = Ms(5), Jitter = DelayDistribution.Gamma(shape, Ms(scaleMs)) });
        var delays = new double[Decisions];
        for (int i = 0; i < Decisions; i++)
        {
            var now = Ms(i);
            delays[i] = (model.Decide(500, now).DeliverAt - now - Ms(5)).TotalMilliseconds;
            Assert.True(delays[i] >= 0);
        }

        AssertMoments(delays, expectedMean: shape * scaleMs, expectedVariance: shape * scaleMs * scaleMs);
    }

    [Fact]
    public void UniformJitter_HasTheConfiguredRangeMeanAndVariance()
    {
        var model = new ImpairmentModel(new ImpairmentOptions { Seed = 9, Jitter = DelayDistribution.Uniform(Ms(10), Ms(30)) });
        var delays = new double[Decisions];
        for (int i = 0; i < Decisions; i++)
        {
            var now = Ms(i);
            delays[i] = (model.Decide(500, now).DeliverAt - now).TotalMilliseconds;
            Assert.InRange(delays[i], 10, 30);
        }

        AssertMoments(delays, expectedMean: 20, expectedVariance: 20.0 * 20.0 / 12);
    }

    private static void AssertMoments(double[] samples, double expectedMean, double expectedVariance)
    {
        double mean = samples.Average();
        double variance = samples.Sum(x => (x - mean) * (x - mean)) / (samples.Length - 1);
        Assert.InRange(mean, expectedMean * 0.99, expectedMean * 1.01);
        Assert.InRange(variance, expectedVariance * 0.95, expectedVariance * 1.05);
    }

    [Fact]
    public void Bottleneck_SpacesABurstByLengthOverRate()
    {
        // 1 MB/s: a 1000-byte packet takes exactly 1 ms to serialise.
        var model = new ImpairmentModel(new ImpairmentOptions { RateBytesPerSecond = 1_000_000, BaseDelay = Ms(20) });
        for (int k = 1; k <= 10; k++)
        {
            var d = model.Decide(1000, TimeSpan.Zero);
            Assert.False(d.Dropped);
            Assert.Equal(Ms(k), d.DepartAt);
            Assert.Equal(Ms(k + 20), d.DeliverAt);
        }

        Assert.Equal(10_000, model.BacklogBytes(TimeSpan.Zero));
        Assert.Equal(5_000, model.BacklogBytes(Ms(5)));
        Assert.Equal(0, model.BacklogBytes(Ms(10)));

        // After the queue empties, a packet departs one serialisation time after it arrives.
        Assert.Equal(Ms(101.5), model.Decide(1500, Ms(100)).DepartAt);
    }

    [Fact]
    public void Bottleneck_DropsAtTheTailWhenTheQueueLimitWouldBeExceeded()
    {
        var model = new ImpairmentModel(new ImpairmentOptions { RateBytesPerSecond = 1_000_000, QueueLimitBytes = 5000 });
        var burst = Enumerable.Range(0, 10).Select(_ => model.Decide(1000, TimeSpan.Zero)).ToArray();
        Assert.All(burst[..5], d => Assert.False(d.Dropped));
        Assert.All(burst[5..], d => Assert.Equal(ImpairmentDropReason.Queue, d.DropReason));
        Assert.Equal(5, model.Counters.DroppedByQueue);

        // At 3 ms, 3000 bytes have drained: exactly three more fit.
        var later = Enumerable.Range(0, 4).Select(_ => model.Decide(1000, Ms(3))).ToArray();
        Assert.All(later[..3], d => Assert.False(d.Dropped));
        Assert.True(later[3].Dropped);
        Assert.Equal(new[] { Ms(6), Ms(7), Ms(8) }, later[..3].Select(d => d.DepartAt));
    }

    [Fact]
    public void SameSeed_GivesTheSameDecisions_AndAnotherSeedDoesNot()
    {
        static ImpairmentDecision[] Run(int seed)
        {
            var model = new ImpairmentModel(new ImpairmentOptions
            {
                Seed = seed,
                LossRate = 0.2,
                DuplicateRate = 0.1,
                CorruptRate = 0.1,
                BaseDelay = Ms(10),
                Jitter = DelayDistribution.Exponential(Ms(30)),
                RateBytesPerSecond = 500_000,
                QueueLimitBytes = 20_000,
            });
            return Enumerable.Range(0, 5000).Select(i => model.Decide(100 + (i % 1300), Ms(i * 0.5))).ToArray();
        }

        Assert.Equal(Run(1), Run(1));
        Assert.NotEqual(Run(1), Run(2));
    }

    [Fact]
    public void Decisions_AlwaysRespectTheInvariants()
    {
        var genOptions =
            from seed in Gen.Int
            from loss in Gen.Double[0, 1]
            from dup in Gen.Double[0, 1]
            from corrupt in Gen.Double[0, 1]
            from baseMs in Gen.Int[0, 500]
            from jitterMs in Gen.Int[0, 200]
            from rate in Gen.OneOf(Gen.Const(0L), Gen.Long[1_000, 100_000_000])
            from limit in Gen.OneOf(Gen.Const(0L), Gen.Long[1, 1_000_000])
            select new ImpairmentOptions
            {
                Seed = seed,
                LossRate = loss,
                DuplicateRate = dup,
                CorruptRate = corrupt,
                BaseDelay = Ms(baseMs),
                Jitter = DelayDistribution.Gamma(3, Ms(jitterMs)),
                RateBytesPerSecond = rate,
                QueueLimitBytes = limit,
            };
        var genPackets = Gen.Select(Gen.Int[1, 9000], Gen.Int[0, 5000]).Array[1, 200];

        Gen.Select(genOptions, genPackets).Sample((options, packets) =>
        {
            var model = new ImpairmentModel(options);
            var now = TimeSpan.Zero;
            var lastDeparture = TimeSpan.Zero;
            foreach (var (length, gapMicros) in packets)
            {
                now += TimeSpan.FromMicroseconds(gapMicros);
                var d = model.Decide(length, now);
                if (d.Dropped)
                {
                    continue;
                }

                Assert.True(d.DepartAt >= now);
                Assert.True(d.DepartAt >= lastDeparture);
                lastDeparture = d.DepartAt;
                Assert.True(d.DeliverAt >= d.DepartAt + options.BaseDelay);
                Assert.True(!d.Duplicated || d.DuplicateDeliverAt >= d.DepartAt + options.BaseDelay);
                Assert.InRange(d.CorruptByteIndex, -1, length - 1);
                if (options.QueueLimitBytes > 0 && options.RateBytesPerSecond > 0)
                {
                    Assert.True(model.BacklogBytes(now) <= options.QueueLimitBytes);
                }
            }

            var c = model.Counters;
            Assert.Equal(packets.Length, c.PacketsSeen);
        }, iter: 300);
    }
}
