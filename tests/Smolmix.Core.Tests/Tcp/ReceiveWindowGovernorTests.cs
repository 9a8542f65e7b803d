using Smolmix.Tcp;

namespace Smolmix.Tests.Tcp;

public sealed class ReceiveWindowGovernorTests
{
    [Fact]
    public void ALocalPathIsNotLimited()
    {
        var governor = new ReceiveWindowGovernor();
        Feed(governor, rttUs: 1_000, bytesPerSecond: 500_000_000, seconds: 1);
        Assert.Equal(long.MaxValue, governor.Limit);
    }

    [Fact]
    public void NothingIsLimitedBeforeTheFirstRound()
    {
        var governor = new ReceiveWindowGovernor();
        governor.OnRttSample(300_000);
        Assert.Equal(long.MaxValue, governor.Limit);
    }

    [Fact]
    public void ALongPathWithoutAQueueGetsHeadroom()
    {
        var governor = new ReceiveWindowGovernor();
        Feed(governor, rttUs: 300_000, bytesPerSecond: 200_000, seconds: 10);
        double expected = ReceiveWindowGovernor.GainWithoutQueue * 200_000 * 0.3;
        Assert.InRange(governor.Limit, expected * 0.9, expected * 1.1);
        Assert.Equal(300, governor.MinSrttUs / 1000);
    }

    [Fact]
    public void AStandingQueueCutsTheLimitAndDoesNotRaiseTheBase()
    {
        var governor = new ReceiveWindowGovernor();
        Feed(governor, rttUs: 300_000, bytesPerSecond: 200_000, seconds: 10);

        // A standing queue of a second: the smoothed RTT rises, the minimum stays, the limit drops to the lower gain.
        Feed(governor, rttUs: 1_300_000, bytesPerSecond: 200_000, seconds: 30, startUs: 10_000_000);
        Assert.True(governor.SrttUs > 1_000_000);
        Assert.Equal(300, governor.MinSrttUs / 1000);
        double expected = ReceiveWindowGovernor.Gain * 200_000 * 0.3;
        Assert.InRange(governor.Limit, expected * 0.9, expected * 1.1);
    }

    [Fact]
    public void BurstyDeliveryCountsAtItsMeanRate()
    {
        // Mixnet reordering: a round delivers nothing while a hole waits, the next one releases both rounds' bytes.
        var governor = new ReceiveWindowGovernor();
        governor.OnRttSample(300_000);
        long t = 0;
        for (int round = 0; round < 40; round++)
        {
            int segments = round % 2 == 0 ? 1 : 119; // 60 kB per 0.6 s in all: 100 kB/s
            for (int i = 0; i < segments; i++)
            {
                governor.OnRttSample(300_000);
                governor.OnDelivered(500, t + (i * 2_500));
            }

            t += 300_000;
        }

        Assert.InRange(governor.Rate, 90_000, 110_000);
        double expected = ReceiveWindowGovernor.GainWithoutQueue * 100_000 * 0.3;
        Assert.InRange(governor.Limit, expected * 0.9, expected * 1.1);
    }

    [Fact]
    public void ASlowFlowGetsTheFloor()
    {
        var governor = new ReceiveWindowGovernor();
        Feed(governor, rttUs: 500_000, bytesPerSecond: 2_000, seconds: 20);
        Assert.Equal(ReceiveWindowGovernor.FloorBytes, governor.Limit);
    }

    [Fact]
    public void ImpossibleSamplesAreIgnored()
    {
        var governor = new ReceiveWindowGovernor();
        governor.OnRttSample(-5);
        governor.OnRttSample(61_000_000);
        Assert.Equal(-1, governor.SrttUs);
        Assert.Equal(-1, governor.MinSrttUs);
    }

    [Fact]
    public void RoundsAcrossAnIdleGapDoNotCount()
    {
        var governor = new ReceiveWindowGovernor();
        governor.OnRttSample(300_000);
        governor.OnDelivered(1000, 0);
        governor.OnDelivered(1000, 10_000_000); // one delivery ten seconds later: the application was idle
        Assert.Equal(0, governor.Rate);
        Assert.Equal(long.MaxValue, governor.Limit);
    }

    /// <summary>Samples and in-order deliveries of 1,000-byte segments at a steady rate.</summary>
    private static void Feed(ReceiveWindowGovernor governor, long rttUs, long bytesPerSecond, int seconds, long startUs = 0)
    {
        long gapUs = Math.Max(1, 1_000L * 1_000_000 / bytesPerSecond);
        for (long t = startUs; t < startUs + (seconds * 1_000_000L); t += gapUs)
        {
            governor.OnRttSample(rttUs);
            governor.OnDelivered(1000, t);
        }
    }
}
