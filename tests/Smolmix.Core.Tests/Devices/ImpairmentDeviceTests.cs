using Microsoft.Extensions.Time.Testing;
using Smolmix.Devices;

namespace Smolmix.Tests.Devices;

public class ImpairmentDeviceTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>A short real-time wait used only to show that something has NOT happened.</summary>
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(50);

    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    private static byte[] Packet(int seq, int length = 64)
    {
        var p = new byte[length];
        for (int i = 0; i < length; i++)
        {
            p[i] = (byte)(i * 7);
        }

        BitConverter.TryWriteBytes(p, seq);
        return p;
    }

    private static void WaitUntil(Func<bool> condition, string what)
    {
        Assert.True(SpinWait.SpinUntil(condition, Timeout), $"Timed out waiting until {what}.");
    }

    [Fact]
    public async Task Outbound_IsNotDeliveredBeforeItsTime_AndIsAfterAdvance()
    {
        var time = new FakeTimeProvider();
        var (inner, peer) = InMemoryPacketLink.CreatePair();
        await using var device = new ImpairmentDevice(inner, new ImpairmentOptions { BaseDelay = Ms(100) }, inbound: null, time);
        await using var _peer = peer;

        var sent = Packet(1);
        await device.WriteAsync(sent);
        Assert.Equal(1, device.OutboundHeldCount);

        var buffer = new byte[1500];
        var read = peer.ReadAsync(buffer).AsTask();
        await Task.Delay(Quiet);
        Assert.False(read.IsCompleted);

        time.Advance(Ms(99));
        await Task.Delay(Quiet);
        Assert.False(read.IsCompleted);

        time.Advance(Ms(1));
        int n = await read.WaitAsync(Timeout);
        Assert.Equal(sent, buffer[..n]);
        Assert.Equal(1, device.OutboundCounters.PacketsSeen);
    }

    [Fact]
    public async Task Inbound_IsNotDeliveredBeforeItsTime_AndIsAfterAdvance()
    {
        var time = new FakeTimeProvider();
        var (inner, peer) = InMemoryPacketLink.CreatePair();
        await using var device = new ImpairmentDevice(inner, outbound: null, new ImpairmentOptions { BaseDelay = Ms(100) }, time);
        await using var _peer = peer;

        var sent = Packet(2);
        await peer.WriteAsync(sent);
        WaitUntil(() => device.InboundHeldCount == 1, "the inbound packet is held");

        var buffer = new byte[1500];
        var read = device.ReadAsync(buffer).AsTask();
        time.Advance(Ms(99));
        await Task.Delay(Quiet);
        Assert.False(read.IsCompleted);

        time.Advance(Ms(1));
        int n = await read.WaitAsync(Timeout);
        Assert.Equal(sent, buffer[..n]);
    }

    [Fact]
    public async Task Jitter_ReordersPackets_ButDeliversAllOfThem()
    {
        const int Count = 50;
        var time = new FakeTimeProvider();
        var (inner, peer) = InMemoryPacketLink.CreatePair();
        var options = new ImpairmentOptions { Seed = 5, Jitter = DelayDistribution.Uniform(TimeSpan.Zero, Ms(100)) };
        await using var device = new ImpairmentDevice(inner, options, inbound: null, time);
        await using var _peer = peer;

        for (int i = 0; i < Count; i++)
        {
            await device.WriteAsync(Packet(i));
        }

        time.Advance(Ms(100));
        var received = new List<int>();
        var buffer = new byte[1500];
        for (int i = 0; i < Count; i++)
        {
            await peer.ReadAsync(buffer).AsTask().WaitAsync(Timeout);
            received.Add(BitConverter.ToInt32(buffer));
        }

        Assert.Equal(Enumerable.Range(0, Count), received.Order());
        Assert.NotEqual(Enumerable.Range(0, Count), received);
    }

    [Fact]
    public async Task TotalLoss_DeliversNothing_AndCountsIt()
    {
        var time = new FakeTimeProvider();
        var (inner, peer) = InMemoryPacketLink.CreatePair();
        await using var device = new ImpairmentDevice(inner, new ImpairmentOptions { LossRate = 1 }, inbound: null, time);
        await using var _peer = peer;
        for (int i = 0; i < 10; i++)
        {
            await device.WriteAsync(Packet(i));
        }

        time.Advance(TimeSpan.FromSeconds(1));
        var read = peer.ReadAsync(new byte[1500]).AsTask();
        await Task.Delay(Quiet);
        Assert.False(read.IsCompleted);
        Assert.Equal(10, device.OutboundCounters.PacketsSeen);
        Assert.Equal(10, device.OutboundCounters.DroppedByLoss);
    }

    [Fact]
    public async Task Corruption_FlipsExactlyOneByteOfACopy()
    {
        var time = new FakeTimeProvider();
        var (inner, peer) = InMemoryPacketLink.CreatePair();
        await using var device = new ImpairmentDevice(inner, new ImpairmentOptions { CorruptRate = 1, Seed = 11 }, inbound: null, time);
        await using var _peer = peer;
        var sent = Packet(3, 200);
        var original = sent.ToArray();
        await device.WriteAsync(sent);
        Assert.Equal(original, sent);

        var buffer = new byte[1500];
        int n = await peer.ReadAsync(buffer).AsTask().WaitAsync(Timeout);
        Assert.Equal(200, n);
        var differing = Enumerable.Range(0, n).Where(i => buffer[i] != original[i]).ToArray();
        Assert.Single(differing);
        Assert.Equal((byte)(original[differing[0]] ^ 0xFF), buffer[differing[0]]);
        Assert.Equal(1, device.OutboundCounters.Corrupted);
    }

    [Fact]
    public async Task Duplication_DeliversEachPacketTwice()
    {
        var time = new FakeTimeProvider();
        var (inner, peer) = InMemoryPacketLink.CreatePair();
        await using var device = new ImpairmentDevice(inner, new ImpairmentOptions { DuplicateRate = 1 }, inbound: null, time);
        await using var _peer = peer;
        for (int i = 0; i < 5; i++)
        {
            await device.WriteAsync(Packet(i));
        }

        var buffer = new byte[1500];
        var seen = new List<int>();
        for (int i = 0; i < 10; i++)
        {
            await peer.ReadAsync(buffer).AsTask().WaitAsync(Timeout);
            seen.Add(BitConverter.ToInt32(buffer));
        }

        Assert.Equal(Enumerable.Range(0, 5).SelectMany(i => new[] { i, i }), seen.Order());
        Assert.Equal(5, device.OutboundCounters.Duplicated);
    }

    [Fact]
    public async Task HeldPackets_AreCapped_AndTheExcessIsCounted()
    {
        var time = new FakeTimeProvider();
        var (inner, peer) = InMemoryPacketLink.CreatePair();
        await using var device = new ImpairmentDevice(inner, new ImpairmentOptions { BaseDelay = TimeSpan.FromSeconds(1) }, inbound: null, time, maxHeldPackets: 10);
        await using var _peer = peer;
        for (int i = 0; i < 25; i++)
        {
            await device.WriteAsync(Packet(i));
        }

        Assert.Equal(10, device.OutboundHeldCount);
        Assert.Equal(15, device.OutboundCounters.DroppedByCapacity);

        time.Advance(TimeSpan.FromSeconds(1));
        var buffer = new byte[1500];
        for (int i = 0; i < 10; i++)
        {
            await peer.ReadAsync(buffer).AsTask().WaitAsync(Timeout);
            Assert.Equal(i, BitConverter.ToInt32(buffer));
        }
    }

    [Fact]
    public async Task Bottleneck_ReleasesABurstOnePacketPerSerialisationTime()
    {
        var time = new FakeTimeProvider();
        var (inner, peer) = InMemoryPacketLink.CreatePair();
        var options = new ImpairmentOptions { RateBytesPerSecond = 100_000, QueueLimitBytes = 3000 }; // 1000 B = 10 ms
        await using var device = new ImpairmentDevice(inner, options, inbound: null, time);
        await using var _peer = peer;
        for (int i = 0; i < 5; i++)
        {
            await device.WriteAsync(Packet(i, 1000));
        }

        Assert.Equal(2, device.OutboundCounters.DroppedByQueue);
        var buffer = new byte[1500];
        for (int i = 0; i < 3; i++)
        {
            var read = peer.ReadAsync(buffer).AsTask();
            time.Advance(Ms(9));
            await Task.Delay(Quiet);
            Assert.False(read.IsCompleted);
            time.Advance(Ms(1));
            await read.WaitAsync(Timeout);
            Assert.Equal(i, BitConverter.ToInt32(buffer));
        }
    }

    [Fact]
    public async Task NullOptions_PassPacketsStraightThrough()
    {
        var (inner, peer) = InMemoryPacketLink.CreatePair(mtu: 1300);
        await using var device = new ImpairmentDevice(inner, outbound: null, inbound: null);
        await using var _peer = peer;
        Assert.Equal(1300, device.Mtu);
        var buffer = new byte[1500];
        await device.WriteAsync(Packet(1));
        Assert.Equal(64, await peer.ReadAsync(buffer).AsTask().WaitAsync(Timeout));
        await peer.WriteAsync(Packet(2));
        Assert.Equal(64, await device.ReadAsync(buffer).AsTask().WaitAsync(Timeout));
        Assert.Equal(2, BitConverter.ToInt32(buffer));
    }

    [Fact]
    public async Task Write_RejectsEmptyAndOversizedPackets_WithoutBreakingTheLink()
    {
        var time = new FakeTimeProvider();
        var (inner, peer) = InMemoryPacketLink.CreatePair(mtu: 100);
        await using var device = new ImpairmentDevice(inner, new ImpairmentOptions(), inbound: null, time);
        await using var _peer = peer;
        await Assert.ThrowsAsync<ArgumentException>(async () => await device.WriteAsync(new byte[101]));
        await Assert.ThrowsAsync<ArgumentException>(async () => await device.WriteAsync(Array.Empty<byte>()));
        await device.WriteAsync(Packet(1));
        Assert.Equal(64, await peer.ReadAsync(new byte[100]).AsTask().WaitAsync(Timeout));
    }

    [Fact]
    public async Task RealTime_DelaysByAtLeastTheBaseDelay()
    {
        var (inner, peer) = InMemoryPacketLink.CreatePair();
        await using var device = new ImpairmentDevice(inner, new ImpairmentOptions { BaseDelay = Ms(30) }, inbound: null);
        await using var _peer = peer;
        long start = TimeProvider.System.GetTimestamp();
        await device.WriteAsync(Packet(1));
        await peer.ReadAsync(new byte[1500]).AsTask().WaitAsync(Timeout);
        Assert.True(TimeProvider.System.GetElapsedTime(start) >= Ms(29));
    }

    [Fact]
    public async Task Dispose_EndsPendingReads_FailsWrites_AndClosesTheInnerDevice()
    {
        var time = new FakeTimeProvider();
        var (inner, peer) = InMemoryPacketLink.CreatePair();
        var options = new ImpairmentOptions { BaseDelay = Ms(10) };
        var device = new ImpairmentDevice(inner, options, options, time);
        var pending = device.ReadAsync(new byte[1500]).AsTask();
        var peerPending = peer.ReadAsync(new byte[1500]).AsTask();
        await device.WriteAsync(Packet(1)); // held, then discarded by the dispose

        await device.DisposeAsync().AsTask().WaitAsync(Timeout);
        Assert.Equal(0, await pending.WaitAsync(Timeout));
        Assert.Equal(0, await peerPending.WaitAsync(Timeout));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await device.WriteAsync(Packet(2)));
        Assert.Equal(0, await device.ReadAsync(new byte[1500]).AsTask().WaitAsync(Timeout));
        await peer.DisposeAsync();
    }

    [Fact]
    public async Task InnerClosing_DrainsHeldInboundPackets_ThenReadsReturnZero_AndWritesFail()
    {
        var time = new FakeTimeProvider();
        var (inner, peer) = InMemoryPacketLink.CreatePair();
        var options = new ImpairmentOptions { BaseDelay = Ms(10) };
        await using var device = new ImpairmentDevice(inner, options, options, time);
        await peer.WriteAsync(Packet(9));
        WaitUntil(() => device.InboundHeldCount == 1, "the inbound packet is held");
        await peer.DisposeAsync();

        var buffer = new byte[1500];
        var read = device.ReadAsync(buffer).AsTask();
        time.Advance(Ms(10));
        Assert.Equal(64, await read.WaitAsync(Timeout));
        Assert.Equal(9, BitConverter.ToInt32(buffer));
        Assert.Equal(0, await device.ReadAsync(buffer).AsTask().WaitAsync(Timeout));

        // The outbound pump finds the inner device closed when it delivers; later writes fail.
        await device.WriteAsync(Packet(10));
        time.Advance(Ms(10));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () =>
        {
            var deadline = TimeProvider.System.GetTimestamp();
            while (TimeProvider.System.GetElapsedTime(deadline) < Timeout)
            {
                await device.WriteAsync(Packet(11));
                time.Advance(Ms(10));
                await Task.Delay(5);
            }
        });
    }
}
