using Smolmix.Devnet.Mixnet;
using Smolmix.Nym;
using Xunit.Abstractions;

namespace Smolmix.Devnet.Tests.Mixnet;

/// <summary>The mixnet model on a fake clock: delay distribution, Poisson queueing, loss, reassembly, SURB accounting.</summary>
public sealed class MixnetModelTests(ITestOutputHelper output)
{
    private static readonly SenderTag Tag = SenderTag.FromBytes(new byte[16]);

    [Theory]
    [InlineData(DevnetPreset.Nym, 15, 10, 30)]
    [InlineData(DevnetPreset.Harsh, 50, 20, 60)]
    public async Task PerPacketDelay_MatchesThePreset(DevnetPreset preset, double hopMs, double linkMinMs, double linkMaxMs)
    {
        MixnetOptions options = MixnetOptions.ForPreset(preset) with { SendingInterval = null, LossRate = 0 };
        using var net = new MixnetHarness(options);
        MixnetHarness.Endpoint a = net.Add(null);
        MixnetHarness.Endpoint b = net.Add(null);
        const int count = 20_000;
        for (int i = 0; i < count; i++)
        {
            net.Model.Send(a.Address, b.Address, new byte[100], null, 0, 0);
        }

        await net.RunAsync(TimeSpan.FromSeconds(2));
        Assert.Equal(count, b.Received.Count);
        double[] delays = [.. b.Received.Select(d => (d.ArrivedAt - d.SentAt).TotalMilliseconds).Order()];

        // One way = 3 exponential hops + 5 uniform links: mean 3μ + 5(a+b)/2, variance 3μ² + 5(b−a)²/12.
        double expectedMean = (3 * hopMs) + (5 * (linkMinMs + linkMaxMs) / 2);
        double expectedSd = Math.Sqrt((3 * hopMs * hopMs) + (5 * Math.Pow(linkMaxMs - linkMinMs, 2) / 12));
        double mean = delays.Average();
        double sd = Math.Sqrt(delays.Sum(d => (d - mean) * (d - mean)) / (count - 1));
        DelayStatistics mixing = net.Model.Snapshot().MixDelay;
        output.WriteLine($"{preset}: one-way per-packet delay over {count} packets (no queueing):");
        output.WriteLine($"  measured mean {mean:0.0} ms, sd {sd:0.0} ms (model {expectedMean:0.0} / {expectedSd:0.0})");
        output.WriteLine($"  mixing part (3-hop sum): mean {mixing.MeanMs:0.0} ms, sd {mixing.StandardDeviationMs:0.0} ms (model {3 * hopMs:0.0} / {Math.Sqrt(3) * hopMs:0.0})");
        output.WriteLine($"  percentiles: p1 {P(delays, 0.01):0} p10 {P(delays, 0.1):0} p50 {P(delays, 0.5):0} p90 {P(delays, 0.9):0} p99 {P(delays, 0.99):0} p99.9 {P(delays, 0.999):0} max {delays[^1]:0} ms");
        PrintHistogram(delays, 20);

        Assert.InRange(mean, expectedMean * 0.98, expectedMean * 1.02);
        Assert.InRange(sd, expectedSd * 0.95, expectedSd * 1.05);
        Assert.InRange(mixing.MeanMs, 3 * hopMs * 0.97, 3 * hopMs * 1.03);
        Assert.InRange(mixing.StandardDeviationMs, Math.Sqrt(3) * hopMs * 0.95, Math.Sqrt(3) * hopMs * 1.05);
        Assert.True(delays[0] >= 5 * linkMinMs, "no packet beats the link latency floor");
    }

    [Fact]
    public async Task InstantPreset_DeliversAtOnce_InOrder()
    {
        using var net = new MixnetHarness(MixnetOptions.ForPreset(DevnetPreset.Instant));
        MixnetHarness.Endpoint a = net.Add(null);
        MixnetHarness.Endpoint b = net.Add(null);
        for (int i = 0; i < 100; i++)
        {
            net.Model.Send(a.Address, b.Address, new[] { (byte)i }, null, 0, 0);
        }

        await net.SettleAsync();
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (byte)i), b.Received.Select(d => d.Message.Span[0]));
        Assert.All(b.Received, d => Assert.Equal(TimeSpan.Zero, d.ArrivedAt));
    }

    [Fact]
    public async Task WithoutAPoissonProcess_TheLaneIsEmptyAsSoonAsASendReturns()
    {
        // Instant: packets leave at once, so a sender polling its lane never waits for a queue that
        // only exists until the scheduler runs the departures.
        MixnetOptions options = MixnetOptions.ForPreset(DevnetPreset.Instant);
        using var net = new MixnetHarness(options);
        MixnetHarness.Endpoint a = net.Add(null);
        MixnetHarness.Endpoint b = net.Add(null);
        for (int i = 0; i < 200; i++)
        {
            net.Model.Send(a.Address, b.Address, new byte[3000], null, 0, lane: 5);
            Assert.Equal(0, net.Model.LaneQueueLength(a.Address, 5));
        }

        await net.SettleAsync();
        Assert.Equal(200, b.Received.Count);
        Assert.Equal(0, net.Model.LaneQueueLength(a.Address, 5));
    }

    [Fact]
    public async Task PoissonSending_QueuesWhatExceedsTheRate_AsDelay()
    {
        MixnetOptions options = MixnetOptions.ForPreset(DevnetPreset.Nym);
        using var burst = new MixnetHarness(options);
        MixnetHarness.Endpoint a = burst.Add(options.SendingInterval);
        MixnetHarness.Endpoint b = burst.Add(null);
        const int count = 500;
        for (int i = 0; i < count; i++)
        {
            burst.Model.Send(a.Address, b.Address, new byte[1000], null, 0, lane: 5);
        }

        Assert.Equal(count, burst.Model.LaneQueueLength(a.Address, 5));
        await burst.RunAsync(TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(5));
        Assert.Equal(count, b.Received.Count);
        Assert.Equal(0, burst.Model.LaneQueueLength(a.Address, 5));
        DelayStatistics queued = burst.Model.Snapshot().QueueingDelay;
        double lastMs = b.Received.Max(d => d.ArrivedAt).TotalMilliseconds;

        // Light load: one packet every 200 ms only waits for its own slot (~20 ms).
        using var light = new MixnetHarness(options);
        MixnetHarness.Endpoint c = light.Add(options.SendingInterval);
        MixnetHarness.Endpoint d = light.Add(null);
        for (int i = 0; i < 50; i++)
        {
            light.Model.Send(c.Address, d.Address, new byte[1000], null, 0, 0);
            await light.RunAsync(TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(5));
        }

        DelayStatistics idle = light.Model.Snapshot().QueueingDelay;
        output.WriteLine($"burst of {count}: queueing {queued}; last arrival at {lastMs:0} ms ({count / (lastMs / 1000):0} packets/s)");
        output.WriteLine($"light load: queueing {idle}");
        Assert.InRange(lastMs, 0.85 * count * 20, 1.15 * count * 20);
        Assert.InRange(queued.MeanMs, 0.8 * count * 10, 1.2 * count * 10);
        Assert.InRange(idle.MeanMs, 10, 35);
    }

    [Fact]
    public void MessagesAreCutIntoSphinxPackets_SurbsEnlargingThem()
    {
        using var net = new MixnetHarness(MixnetOptions.ForPreset(DevnetPreset.Nym));
        Assert.Equal(1, net.Model.PacketsFor(0, 0));
        Assert.Equal(1, net.Model.PacketsFor(1610, 0));
        Assert.Equal(2, net.Model.PacketsFor(1611, 0));
        Assert.Equal(1, net.Model.PacketsFor(0, 3));
        Assert.Equal(2, net.Model.PacketsFor(0, 4));
        Assert.Equal(4, net.Model.PacketsFor(1400, 10)); // one IP packet with the SDK's 10 SURBs
    }

    [Fact]
    public async Task AMultiPacketMessage_ArrivesWhole_WithItsLastPacket()
    {
        MixnetOptions options = MixnetOptions.ForPreset(DevnetPreset.Nym) with { SendingInterval = null };
        using var net = new MixnetHarness(options);
        MixnetHarness.Endpoint a = net.Add(null);
        MixnetHarness.Endpoint b = net.Add(null);
        byte[] message = new byte[5000];
        Random.Shared.NextBytes(message);
        net.Model.Send(a.Address, b.Address, message, null, 0, 0);
        await net.RunAsync(TimeSpan.FromSeconds(1));
        MixnetDelivery delivery = Assert.Single(b.Received);
        Assert.Equal(message, delivery.Message.ToArray());
        MixnetCounters counters = net.Model.Snapshot();
        Assert.Equal(4, counters.PacketsDelivered);
        Assert.Equal(1, counters.MessagesDelivered);
    }

    [Theory]
    [InlineData(100, 1)]
    [InlineData(5000, 4)]
    public async Task Loss_IsPerPacket_AndLosesWholeMessages(int size, int packets)
    {
        MixnetOptions options = MixnetOptions.ForPreset(DevnetPreset.Harsh) with { SendingInterval = null };
        using var net = new MixnetHarness(options);
        MixnetHarness.Endpoint a = net.Add(null);
        MixnetHarness.Endpoint b = net.Add(null);
        const int count = 10_000;
        for (int i = 0; i < count; i++)
        {
            net.Model.Send(a.Address, b.Address, new byte[size], null, 0, 0);
        }

        await net.RunAsync(TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(2));
        MixnetCounters counters = net.Model.Snapshot();
        double expected = Math.Pow(1 - options.LossRate, packets);
        double delivered = b.Received.Count / (double)count;
        output.WriteLine($"{size} B ({packets} packets) at {options.LossRate:P0} packet loss: {delivered:P2} delivered (model {expected:P2}); {counters.PacketsLost} packets lost");
        Assert.InRange(delivered, expected - 0.01, expected + 0.01);
        Assert.Equal(count - b.Received.Count, counters.MessagesLost);
    }

    [Fact]
    public async Task Duplication_DeliversMessagesTwice()
    {
        using var net = new MixnetHarness(MixnetOptions.ForPreset(DevnetPreset.Instant) with { DuplicationRate = 1 });
        MixnetHarness.Endpoint a = net.Add(null);
        MixnetHarness.Endpoint b = net.Add(null);
        net.Model.Send(a.Address, b.Address, "x"u8.ToArray(), null, 0, 0);
        await net.SettleAsync();
        Assert.Equal(2, b.Received.Count);
        Assert.Equal(1, net.Model.Snapshot().MessagesDuplicated);
    }

    [Fact]
    public async Task TheSameSeed_ReplaysTheSameRun()
    {
        async Task<double[]> RunAsync()
        {
            using var net = new MixnetHarness(MixnetOptions.ForPreset(DevnetPreset.Harsh), seed: 99);
            MixnetHarness.Endpoint a = net.Add(TimeSpan.FromMilliseconds(20));
            MixnetHarness.Endpoint b = net.Add(null);
            for (int i = 0; i < 200; i++)
            {
                net.Model.Send(a.Address, b.Address, new byte[i * 20], null, 0, 0);
            }

            await net.RunAsync(TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(5));
            return [.. b.Received.Select(d => d.ArrivedAt.TotalMilliseconds)];
        }

        Assert.Equal(await RunAsync(), await RunAsync());
    }

    [Fact]
    public async Task Replies_SpendOneSurbPerPacket_AboveTheReserve_ThenWaitForATopUp()
    {
        MixnetOptions options = MixnetOptions.ForPreset(DevnetPreset.Nym) with { SendingInterval = null };
        using var net = new MixnetHarness(options);
        MixnetHarness.Endpoint client = net.Add(null);
        MixnetHarness.Endpoint exit = net.Add(null);

        // 12 SURBs: 10 stay in reserve, so 2 replies can leave at once.
        net.Model.Send(client.Address, exit.Address, "hello"u8.ToArray(), Tag, 12, 0);
        await net.RunAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(12, net.Model.AvailableSurbs(exit.Address, Tag));
        TimeSpan replyTime = net.Scheduler.Now;
        for (int i = 0; i < 5; i++)
        {
            Assert.True(net.Model.Reply(exit.Address, Tag, new[] { (byte)i }, 0));
        }

        MixnetCounters waiting = net.Model.Snapshot();
        Assert.Equal(3, waiting.RepliesWaiting);
        Assert.Equal(3, waiting.RepliesDeferred);
        Assert.Equal(1, waiting.SurbRequests);                        // asked for more, spending one SURB below the reserve
        Assert.Equal(9, net.Model.AvailableSurbs(exit.Address, Tag));

        await net.RunAsync(TimeSpan.FromSeconds(2));
        MixnetDelivery[] replies = [.. client.Received];
        Assert.Equal(5, replies.Length);
        Assert.All(replies, r => Assert.Null(r.SenderTag));
        TimeSpan[] latencies = [.. replies.Select(r => r.ArrivedAt - replyTime).Order()];
        output.WriteLine($"reply latencies: {string.Join(", ", latencies.Select(l => $"{l.TotalMilliseconds:0} ms"))}");

        // The deferred three needed the request to reach the client and its SURBs to come back first.
        TimeSpan floor = options.LinkLatencyMin * options.LinkCount;
        Assert.All(latencies[2..], l => Assert.True(l >= 3 * floor, $"{l} should include a SURB round trip"));
        MixnetCounters after = net.Model.Snapshot();
        Assert.Equal(0, after.RepliesWaiting);
        Assert.Equal(3, after.SurbWaitDelay.Count);
        Assert.Equal(12 + 10, after.SurbsReceived);
        Assert.Equal(5 + 1, after.SurbsConsumed);
    }

    [Fact]
    public async Task RepliesWithNoSpendableSurbs_Wait_UntilTheClientsNextMessageTopsUp()
    {
        // The replier may not ask for more (its stock is at the maximum), so only the client can help.
        MixnetOptions options = MixnetOptions.ForPreset(DevnetPreset.Nym) with { SendingInterval = null, MaximumSurbThreshold = 10 };
        using var net = new MixnetHarness(options);
        MixnetHarness.Endpoint client = net.Add(null);
        MixnetHarness.Endpoint exit = net.Add(null);
        net.Model.Send(client.Address, exit.Address, "hi"u8.ToArray(), Tag, 10, 0);
        await net.RunAsync(TimeSpan.FromSeconds(1));

        net.Model.Reply(exit.Address, Tag, "reply"u8.ToArray(), 0);
        await net.RunAsync(TimeSpan.FromSeconds(5));
        Assert.Empty(client.Received);
        MixnetCounters stuck = net.Model.Snapshot();
        Assert.Equal(1, stuck.RepliesWaiting);
        Assert.Equal(0, stuck.SurbRequests);

        // The client's next message brings SURBs and the reply leaves.
        net.Model.Send(client.Address, exit.Address, "more"u8.ToArray(), Tag, 5, 0);
        await net.RunAsync(TimeSpan.FromSeconds(1));
        Assert.Single(client.Received);
        Assert.Equal(0, net.Model.Snapshot().RepliesWaiting);
        Assert.Equal(14, net.Model.AvailableSurbs(exit.Address, Tag));
    }

    [Fact]
    public async Task UnansweredSurbRequests_AreRepeated_ThenTheWaitingRepliesDropped()
    {
        MixnetOptions options = MixnetOptions.ForPreset(DevnetPreset.Nym) with { SendingInterval = null };
        using var net = new MixnetHarness(options);
        MixnetHarness.Endpoint client = net.Add(null);
        MixnetHarness.Endpoint exit = net.Add(null);
        net.Model.Send(client.Address, exit.Address, "hi"u8.ToArray(), Tag, 18, 0);
        await net.RunAsync(TimeSpan.FromSeconds(1));
        net.Model.Unregister(client);                  // gone: nobody answers SURB requests any more
        net.Model.Reply(exit.Address, Tag, new byte[20 * 1610], 0); // 20 packets: 8 leave, 12 wait
        await net.RunAsync(TimeSpan.FromSeconds(70), TimeSpan.FromMilliseconds(50));
        MixnetCounters counters = net.Model.Snapshot();
        Assert.Equal(1 + options.MaximumSurbRerequests, counters.SurbRequests);
        Assert.Equal(0, counters.RepliesWaiting);
        Assert.Equal(12, counters.RepliesDropped);
    }

    [Fact]
    public void RepliesWithoutAnySurbs_AreDropped()
    {
        using var net = new MixnetHarness(MixnetOptions.ForPreset(DevnetPreset.Instant));
        MixnetHarness.Endpoint exit = net.Add(null);
        Assert.False(net.Model.Reply(exit.Address, Tag, "x"u8.ToArray(), 0));
        Assert.Equal(1, net.Model.Snapshot().RepliesDropped);
    }

    private static double P(double[] sorted, double q) => sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];

    private void PrintHistogram(double[] sorted, double bucketMs)
    {
        int buckets = (int)Math.Ceiling(sorted[^1] / bucketMs);
        int[] counts = new int[buckets + 1];
        foreach (double d in sorted)
        {
            counts[(int)(d / bucketMs)]++;
        }

        int max = counts.Max();
        for (int i = 0; i < counts.Length; i++)
        {
            if (counts[i] > 0)
            {
                output.WriteLine($"  {i * bucketMs,5:0}-{(i + 1) * bucketMs,4:0} ms {counts[i],6} {new string('#', (int)Math.Ceiling(50.0 * counts[i] / max))}");
            }
        }
    }
}
