using Microsoft.Extensions.Time.Testing;
using Smolmix.Bridge;

namespace Smolmix.Tests.Tunnel;

public sealed class SurbPolicyTests
{
    private const int AckMessage = 16 + 4 + 2 + 52; // LP frame + data header + record + a TCP ACK with timestamps

    [Fact]
    public void LightTrafficCostsAboutOneSurbPerReplyAndNoExtraSphinxPackets()
    {
        var time = new FakeTimeProvider();
        var policy = new SurbPolicy(new SurbOptions(), time);
        policy.RecordSent(20);
        int total = 0, most = 0;
        for (int i = 0; i < 200; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            int surbs = policy.Choose(AckMessage);
            Assert.Equal(1, SphinxEstimate.ForwardPackets(AckMessage, surbs));
            policy.RecordSent(surbs);
            total += surbs;
            most = Math.Max(most, surbs);
            policy.RecordReply(120);
        }

        Assert.InRange(total, 190, 210);
        Assert.InRange(most, 1, 3);
        Assert.InRange(policy.EstimatedStock, 10, 20);
    }

    [Fact]
    public void ABulkDownloadIsMatchedPacketForPacketWithoutStarvingTheExit()
    {
        var time = new FakeTimeProvider();
        var options = new SurbOptions();
        var policy = new SurbPolicy(options, time);
        policy.RecordSent(options.InitialSurbs);
        long sent = options.InitialSurbs, replies = 0;
        int lowest = int.MaxValue;
        for (int i = 0; i < 2000; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(2)); // 500 reply packets/s
            policy.RecordReply(1500);
            replies++;
            if (i % 2 == 1)
            {
                int surbs = policy.Choose(AckMessage);
                Assert.InRange(surbs, 0, options.MaxPerMessage);
                policy.RecordSent(surbs);
                sent += surbs;
            }

            if (i > 200)
            {
                lowest = Math.Min(lowest, policy.EstimatedStock);
            }
        }

        Assert.True(sent >= replies, $"sent {sent} SURBs for {replies} replies");
        Assert.True(sent <= replies + options.HighWatermark + options.MaxPerMessage, $"sent {sent} SURBs for {replies} replies");
        Assert.True(lowest >= options.LowWatermark, $"the stock fell to {lowest}");
        Assert.Equal(options.HighWatermark, policy.Target); // 10 + 500/s × 2 s, capped

        // When the download stops, the target decays back to the idle floor and nothing more is sent.
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(options.LowWatermark, policy.Target);
        Assert.Equal(0, policy.Choose(AckMessage));
    }

    [Fact]
    public void AnEmptyStockIsRefilledEvenAtTheCostOfExtraPackets()
    {
        var time = new FakeTimeProvider();
        var policy = new SurbPolicy(new SurbOptions { LowWatermark = 10 }, time);
        int surbs = policy.Choose(AckMessage);
        Assert.Equal(10, surbs);
        Assert.Equal(3, SphinxEstimate.ForwardPackets(AckMessage, surbs));

        policy.RecordSent(10);
        for (int i = 0; i < 30; i++)
        {
            policy.RecordReply(100); // more replies than SURBs: the exit got others from nym-client
        }

        Assert.Equal(0, policy.EstimatedStock);
        Assert.Equal(10, policy.Sent);
    }
}
