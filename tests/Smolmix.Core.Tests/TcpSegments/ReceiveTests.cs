using Smolmix.Tcp;
using Smolmix.Wire;

namespace Smolmix.Tests.TcpSegments;

public class ReceiveTests
{
    private static SackBlock B(uint l, uint r) => new(l, r);

    [Fact]
    public async Task InOrder_SingleSegment_AckedAfterDelayedAckTimeout()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync();
        uint tsv = h.PeerTsNow;
        h.SendData(TcpHarness.Bytes(100), tsVal: tsv);
        h.Silent();
        h.AdvanceMs(39);
        h.Silent();
        h.AdvanceMs(1);
        var ack = h.Single();
        Assert.Equal(TcpFlags.Ack, ack.Flags);
        Assert.Equal(h.OurIss + 1, ack.Seq);
        Assert.Equal(h.PeerIss + 101, ack.Ack);
        Assert.Empty(ack.Payload);
        Assert.Equal(tsv, ack.Options.TsEcr);
        Assert.Equal(0, ack.Options.SackCount);
        Assert.Equal(12, ack.OptionBytes.Length);
        Assert.Equal(TcpHarness.Bytes(100), h.ReadAvailable(s));
        h.AdvanceMs(500);
        h.Silent();
    }

    [Fact]
    public async Task InOrder_TwoFullSegments_AckedAtOnce()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync();
        h.SendData(TcpHarness.Bytes(1368, 1));
        h.Silent();
        h.SendData(TcpHarness.Bytes(1368, 2));
        var ack = h.Single();
        Assert.Equal(h.PeerIss + 1 + 2736, ack.Ack);
        Assert.Equal(h.PeerNxt, ack.Ack);
        h.AdvanceMs(100);
        h.Silent(); // the delayed-ACK timer was cancelled
        Assert.Equal([.. TcpHarness.Bytes(1368, 1), .. TcpHarness.Bytes(1368, 2)], h.ReadAvailable(s));
    }

    [Fact]
    public async Task InOrder_AcrossSequenceWrap()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync();
        var all = new List<byte>();
        for (int i = 0; i < 9; i++)
        {
            var d = TcpHarness.Bytes(1368, i);
            all.AddRange(d);
            h.SendData(d);
        }
        h.AdvanceMs(40);
        var acks = h.Drain();
        Assert.Equal(h.PeerIss + 1 + 9 * 1368u, acks[^1].Ack);
        Assert.True(acks[^1].Ack < 10_000); // wrapped past 2^32
        Assert.Equal(all.ToArray(), h.ReadAvailable(s));
    }

    [Fact]
    public async Task OutOfOrder_ImmediateDupAckWithSackBlock()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync();
        uint b = h.PeerNxt;
        h.AdvanceMs(10);
        uint tsv = h.PeerTsNow;
        h.SendData(TcpHarness.Bytes(500), seq: b + 1000, tsVal: tsv);
        var ack = h.Single();
        Assert.Equal(TcpFlags.Ack, ack.Flags);
        Assert.Equal(b, ack.Ack);
        Assert.Equal([B(b + 1000, b + 1500)], ack.Sacks);
        // RFC 7323 §4.3: an out-of-order segment does not update TS.Recent; the echo stays the handshake's.
        Assert.NotEqual(tsv, ack.Options.TsEcr);
        // Layout: NOP NOP TS(10), NOP NOP SACK(2 + 8).
        Assert.Equal(new byte[] { 1, 1, 8, 10 }, ack.OptionBytes[..4]);
        Assert.Equal(new byte[] { 1, 1, 5, 10 }, ack.OptionBytes[12..16]);
        Assert.Equal(0, h.Readable(s));
    }

    [Fact]
    public async Task OutOfOrder_MultipleHoles_ThreeBlocksMostRecentFirst()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync();
        uint b = h.PeerNxt;
        foreach (uint off in new uint[] { 1000, 2000, 3000, 4000 })
        {
            h.SendData(TcpHarness.Bytes(100), seq: b + off);
            var a = h.Single();
            Assert.Equal(b, a.Ack);
            Assert.Equal(B(b + off, b + off + 100), a.Sacks[0]);
        }
        // Extend the 2000 block: it becomes the first, the rest follow in order of recency; 3 fit with timestamps.
        h.SendData(TcpHarness.Bytes(100), seq: b + 2100);
        var ack = h.Single();
        Assert.Equal([B(b + 2000, b + 2200), B(b + 4000, b + 4100), B(b + 3000, b + 3100)], ack.Sacks);
        Assert.True(ack.Options.HasTimestamps);
        Assert.Equal(12 + 4 + 24, ack.OptionBytes.Length);
    }

    [Fact]
    public async Task OutOfOrder_NoTimestamps_FourBlocks()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync(h.SynOptions(ts: false));
        uint b = h.PeerNxt;
        foreach (uint off in new uint[] { 1000, 2000, 3000, 4000, 5000 })
        {
            h.SendData(TcpHarness.Bytes(100), seq: b + off);
        }
        var acks = h.Drain();
        Assert.Equal(5, acks.Count);
        Assert.Equal([B(b + 5000, b + 5100), B(b + 4000, b + 4100), B(b + 3000, b + 3100), B(b + 2000, b + 2100)], acks[^1].Sacks);
        Assert.Equal(4 + 32, acks[^1].OptionBytes.Length);
    }

    [Fact]
    public async Task HoleFill_ImmediateAck_RemainingBlocksReported()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync();
        uint b = h.PeerNxt;
        h.SendData(TcpHarness.Bytes(100, 2), seq: b + 100);
        h.SendData(TcpHarness.Bytes(100, 4), seq: b + 300);
        h.Drain();
        // Fill the first hole: RCV.NXT jumps over the first block, the ACK goes out at once.
        h.SendData(TcpHarness.Bytes(100, 1), seq: b);
        var ack = h.Single();
        Assert.Equal(b + 200, ack.Ack);
        Assert.Equal([B(b + 300, b + 400)], ack.Sacks);
        // Fill the last hole.
        h.SendData(TcpHarness.Bytes(100, 3), seq: b + 200);
        ack = h.Single();
        Assert.Equal(b + 400, ack.Ack);
        Assert.Empty(ack.Sacks);
        Assert.Equal([.. TcpHarness.Bytes(100, 1), .. TcpHarness.Bytes(100, 2), .. TcpHarness.Bytes(100, 3), .. TcpHarness.Bytes(100, 4)], h.ReadAvailable(s));
    }

    [Fact]
    public async Task Duplicate_OfDeliveredData_DsackBlock()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync();
        uint b = h.PeerNxt;
        h.SendData(TcpHarness.Bytes(500));
        h.AdvanceMs(40);
        h.Drain();
        h.SendData(TcpHarness.Bytes(500), seq: b);
        var ack = h.Single();
        Assert.Equal(b + 500, ack.Ack);
        Assert.Equal([B(b, b + 500)], ack.Sacks);
        // Partly new: the duplicate part is reported, the new part accepted.
        h.SendData(TcpHarness.Bytes(500), seq: b + 250);
        ack = h.Single();
        Assert.Equal(b + 750, ack.Ack);
        Assert.Equal([B(b + 250, b + 500)], ack.Sacks);
        Assert.Equal(750, h.Readable(s));
        // The D-SACK is reported once only.
        h.SendData(TcpHarness.Bytes(10), seq: b + 750);
        h.AdvanceMs(40);
        Assert.Empty(h.Single().Sacks);
    }

    [Fact]
    public async Task Duplicate_ThatAlsoOpensTheWindow_FullSegmentsGoOut_DsackRidesThePureAck()
    {
        // A full data segment has no room for SACK blocks: a D-SACK owed when new data goes out must wait for
        // the pure ACK (it once went into the full segment, which then exceeded the MTU and was never sent).
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync();
        uint b = h.PeerNxt;
        s.Write(TcpHarness.Bytes(30 * h.OurMss));
        var first = h.Drain();
        Assert.True(first.Count >= 2);
        h.SendData(TcpHarness.Bytes(500));
        h.AdvanceMs(40);
        h.Drain();

        // 250 bytes again and 250 new ones, acknowledging two of our segments: cwnd opens while a D-SACK is owed.
        h.SendData(TcpHarness.Bytes(500), seq: b + 250, ack: first[1].End);
        var next = h.Drain();

        Assert.Equal(0, h.Stack.Metrics.Drops(DropReason.BadLength));
        Assert.All(next, seg => Assert.True(seg.IpTotalLength <= h.Options.Mtu));
        var data = next.Where(seg => seg.Len > 0).ToList();
        Assert.True(data.Count >= 2);
        Assert.All(data, seg => Assert.Empty(seg.Sacks));
        var pure = Assert.Single(next, seg => seg.Len == 0);
        Assert.Equal([B(b + 250, b + 500)], pure.Sacks);
    }

    [Fact]
    public async Task Duplicate_InsideOutOfOrderBlock_DsackThenThatBlock()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync();
        uint b = h.PeerNxt;
        h.SendData(TcpHarness.Bytes(100), seq: b + 1000);
        h.SendData(TcpHarness.Bytes(100), seq: b + 3000);
        h.Drain();
        h.SendData(TcpHarness.Bytes(50), seq: b + 1000);
        var ack = h.Single();
        Assert.Equal(b, ack.Ack);
        Assert.Equal([B(b + 1000, b + 1050), B(b + 1000, b + 1100), B(b + 3000, b + 3100)], ack.Sacks);
    }

    [Fact]
    public async Task Duplicate_InsideOlderBlock_NoTimestamps_NoBlockRepeated()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync(h.SynOptions(ts: false));
        uint b = h.PeerNxt;
        h.SendData(TcpHarness.Bytes(100), seq: b + 1000);
        h.SendData(TcpHarness.Bytes(100), seq: b + 3000);
        h.Drain();
        h.SendData(TcpHarness.Bytes(50), seq: b + 1000);
        var ack = h.Single();
        Assert.Equal([B(b + 1000, b + 1050), B(b + 1000, b + 1100), B(b + 3000, b + 3100)], ack.Sacks);
    }

    [Fact]
    public async Task OutOfWindow_AckedNotAccepted()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync();
        uint b = h.PeerNxt;
        long before = h.Stack.Metrics.Drops(DropReason.TcpUnacceptable);
        h.SendData(TcpHarness.Bytes(100), seq: b + 4 * 1024 * 1024);
        var ack = h.Single();
        Assert.Equal(b, ack.Ack);
        Assert.Empty(ack.Sacks);
        Assert.Equal(before + 1, h.Stack.Metrics.Drops(DropReason.TcpUnacceptable));
        // Nothing of it was kept: filling up to there delivers only the in-order bytes.
        h.SendData(TcpHarness.Bytes(100), seq: b);
        h.AdvanceMs(40);
        Assert.Equal(b + 100, h.Single().Ack);
        Assert.Equal(100, h.Readable(s));
    }

    [Fact]
    public async Task BeyondAdvertisedWindow_Trimmed()
    {
        await using var h = new TcpHarness(o =>
        {
            o.TcpReceiveBufferSize = 8192;
            o.TcpMaxReceiveBufferSize = 8192;
        });
        var s = await h.ConnectAsync(h.SynOptions(ts: false));
        uint b = h.PeerNxt;
        var all = new List<byte>();
        for (int i = 0; i < 5; i++)
        {
            var d = TcpHarness.Bytes(1380, i);
            all.AddRange(d);
            h.SendData(d);
        }
        var acks = h.Drain();
        Assert.Equal(8192 - 4 * 1380, acks[^1].Window);
        // 6900 bytes in, 1292 of window left: a full segment is cut to fit.
        var last = TcpHarness.Bytes(1380, 5);
        h.SendData(last);
        var ack = h.Single();
        Assert.Equal(b + 8192, ack.Ack);
        Assert.Equal(0, ack.Window);
        all.AddRange(last[..1292]);
        Assert.Equal(all.ToArray(), h.ReadAvailable(s));
    }
}
