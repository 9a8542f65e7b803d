using Smolmix.Tcp;
using Smolmix.Wire;

namespace Smolmix.Tests.TcpSegments;

/// <summary>SACK-based loss recovery, RACK-TLP (RFC 8985), undo (RFC 2883 / 3522), the path-model floor.</summary>
public class RecoveryTests
{
    private static SackBlock B(uint l, uint r) => new(l, r);

    private static async Task<(TcpHarness H, TcpStream S, List<Seg> Segs)> TenInFlight(bool pathModel = false)
    {
        var h = new TcpHarness(o => o.PathModel = pathModel);
        var s = await h.ConnectAsync();
        h.Write(s, TcpHarness.Bytes(10 * 1368));
        var segs = h.Drain();
        Assert.Equal(10, segs.Count);
        Assert.All(segs, x => Assert.Equal(1368, x.Len));
        return (h, s, segs);
    }

    [Fact]
    public async Task Rack_FirstSegmentMissing_RetransmittedAloneAfterReorderWindow_CubicBeta()
    {
        var (h, s, segs) = await TenInFlight();
        await using var _ = h;
        Assert.Equal(13800, h.Info(s).Cwnd);
        h.AdvanceMs(100);
        h.SendAck(segs[0].Seq, sacks: B(segs[1].Seq, segs[9].End));
        h.Silent(); // reordering is not loss until the reorder window has passed
        var (after, r) = h.AdvanceUntilOutput(TimeSpan.FromSeconds(2));
        // Reorder window: max(min_RTT/4, 4·RTTVAR) = 4 × 37.5 ms, capped at SRTT's... here 150 ms.
        Assert.Equal(150, after.TotalMilliseconds);
        var rtx = Assert.Single(r);
        Assert.Equal(segs[0].Seq, rtx.Seq);
        Assert.Equal(segs[0].Payload, rtx.Payload);
        // A RACK retransmission keeps the original TSval (so PAWS at the receiver does not drop reordered originals).
        Assert.Equal(segs[0].Options.TsVal, rtx.Options.TsVal);
        var info = h.Info(s);
        Assert.Equal(9660, info.Cwnd);      // CUBIC β = 0.7
        Assert.Equal(9660, info.Ssthresh);
        Assert.Equal(1, info.Retransmits);
        Assert.Equal(1, h.Stack.Metrics.TcpRecoveries);
        // Nothing else is retransmitted while the retransmission is in flight.
        h.AdvanceMs(200);
        h.Silent();
        h.SendAck(segs[9].End);
        Assert.Equal(0, TcpHarness.Conn(s).UnacknowledgedBytes);
    }

    [Fact]
    public async Task Rack_NewReno_HalvesWindow()
    {
        var h = new TcpHarness(o =>
        {
            o.PathModel = false;
            o.CongestionControl = CongestionControlAlgorithm.NewReno;
        });
        await using var _ = h;
        var s = await h.ConnectAsync();
        h.Write(s, TcpHarness.Bytes(10 * 1368));
        var segs = h.Drain();
        h.AdvanceMs(100);
        h.SendAck(segs[0].Seq, sacks: B(segs[1].Seq, segs[9].End));
        h.AdvanceUntilOutput(TimeSpan.FromSeconds(2));
        Assert.Equal(6900, h.Info(s).Cwnd);
    }

    [Fact]
    public async Task Rack_ProgressiveSacks_OnlyHoleRetransmitted()
    {
        var (h, s, segs) = await TenInFlight();
        await using var _ = h;
        // Segments 1 and 4 are lost; the others arrive 100 ms after sending, one dup ACK each.
        h.AdvanceMs(100);
        var sacks = new List<SackBlock>();
        foreach (int i in new[] { 1, 2, 4, 5, 6, 7, 8, 9 })
        {
            uint left = i >= 4 ? segs[4].Seq : segs[1].Seq;
            if (i >= 4)
            {
                h.SendAck(segs[0].Seq, sacks: [B(segs[4].Seq, segs[i].End), B(segs[1].Seq, segs[2].End)]);
            }
            else
            {
                h.SendAck(segs[0].Seq, sacks: B(left, segs[i].End));
            }
        }
        var (_, r) = h.AdvanceUntilOutput(TimeSpan.FromSeconds(2));
        Assert.Equal([segs[0].Seq, segs[3].Seq], r.Select(x => x.Seq));
        h.AdvanceMs(300);
        h.Silent();
    }

    [Fact]
    public async Task Undo_DsackForRetransmissionAfterRecoveryEnded_RestoresCwnd()
    {
        var (h, s, segs) = await TenInFlight();
        await using var _ = h;
        h.AdvanceMs(100);
        h.SendAck(segs[0].Seq, sacks: B(segs[1].Seq, segs[9].End));
        h.AdvanceUntilOutput(TimeSpan.FromSeconds(2));
        Assert.Equal(9660, h.Info(s).Cwnd);
        // The original was merely late: it arrives and everything is acknowledged...
        h.AdvanceMs(50);
        h.SendAck(segs[9].End);
        // ...then the retransmission arrives and the receiver reports it with a D-SACK.
        h.AdvanceMs(100);
        h.SendAck(segs[9].End, sacks: B(segs[0].Seq, segs[0].End));
        var info = h.Info(s);
        Assert.Equal(1, info.SpuriousUndos);
        Assert.Equal(13800, info.Cwnd);
        Assert.Equal(1, h.Stack.Metrics.TcpDsacksReceived);
        Assert.True(info.ReorderWindowMultiplier > 1); // RFC 8985 §6.2: widen the reorder window
    }

    [Fact]
    public async Task Undo_DsackInTheAckEndingRecovery_RestoresCwnd()
    {
        var (h, s, segs) = await TenInFlight();
        await using var _ = h;
        h.AdvanceMs(100);
        h.SendAck(segs[0].Seq, sacks: B(segs[1].Seq, segs[9].End));
        h.AdvanceUntilOutput(TimeSpan.FromSeconds(2));
        h.AdvanceMs(150);
        h.SendAck(segs[9].End, sacks: B(segs[0].Seq, segs[0].End));
        var info = h.Info(s);
        Assert.Equal(1, info.SpuriousUndos);
        Assert.Equal(13800, info.Cwnd);
    }

    [Fact]
    public async Task NoUndo_WhenRetransmissionWasNeeded()
    {
        var (h, s, segs) = await TenInFlight();
        await using var _ = h;
        h.AdvanceMs(100);
        h.SendAck(segs[0].Seq, sacks: B(segs[1].Seq, segs[9].End));
        h.AdvanceUntilOutput(TimeSpan.FromSeconds(2));
        h.AdvanceMs(100);
        h.SendAck(segs[9].End);
        h.AdvanceMs(1000);
        h.SendAck(segs[9].End); // a plain duplicate, no D-SACK
        var info = h.Info(s);
        Assert.Equal(0, info.SpuriousUndos);
        Assert.Equal(9660, info.Cwnd);
    }

    [Fact]
    public async Task PathModel_RandomLoss_WithoutQueue_BacksOffGently()
    {
        var h = new TcpHarness(o => o.PathModel = true);
        await using var _ = h;
        var s = await h.ConnectAsync();
        // Ten rounds of 6 segments per 100 ms RTT: delivery rate 82 080 B/s, SRTT settles at exactly 100 ms.
        for (int round = 0; round < 10; round++)
        {
            h.Write(s, TcpHarness.Bytes(6 * 1368, round));
            var sent = h.Drain();
            Assert.Equal(6, sent.Count);
            h.AdvanceMs(100);
            h.SendAck(sent[^1].End);
            h.Silent();
        }
        var before = h.Info(s);
        Assert.Equal(100_000, before.SrttUs);
        Assert.Equal(82_080, before.BandwidthMax);
        Assert.Equal(13800, before.Cwnd);
        h.Write(s, TcpHarness.Bytes(10 * 1368));
        var segs = h.Drain();
        Assert.Equal(10, segs.Count);
        h.AdvanceMs(150);
        h.Silent();
        h.SendAck(segs[0].Seq, sacks: B(segs[1].Seq, segs[9].End));
        var (_, r) = h.AdvanceUntilOutput(TimeSpan.FromSeconds(2));
        Assert.Equal(segs[0].Seq, Assert.Single(r).Seq);
        // SRTT is still near its base (no standing queue): the loss is judged random, the window backs off
        // by 10 % instead of CUBIC's 30 %.
        var after = h.Info(s);
        Assert.Equal((long)(before.Cwnd * 0.9), after.Cwnd);
        Assert.Equal(1, h.Stack.Metrics.TcpRandomLosses);
    }

    [Fact]
    public async Task PathModel_CongestiveLoss_DoesNotCutBelowMeasuredBdpFloor()
    {
        var h = new TcpHarness(o => o.PathModel = true);
        await using var _ = h;
        var s = await h.ConnectAsync();
        // A base of ten 100 ms rounds, then the RTT climbs step by step (slowly enough that the tail loss
        // probe, at 2·SRTT, never fires): a queue is building.
        int[] rtts = [.. Enumerable.Repeat(100, 10), .. Enumerable.Repeat(180, 4), .. Enumerable.Repeat(260, 4),
            .. Enumerable.Repeat(340, 4), .. Enumerable.Repeat(420, 4)];
        for (int round = 0; round < rtts.Length; round++)
        {
            h.Write(s, TcpHarness.Bytes(6 * 1368, round));
            var sent = h.Drain();
            Assert.Equal(6, sent.Count);
            h.AdvanceMs(rtts[round]);
            h.SendAck(sent[^1].End);
            h.Silent();
        }
        var before = h.Info(s);
        Assert.Equal(100_000, before.MinSrttUs);
        Assert.True(before.SrttUs > 130_000, $"SRTT {before.SrttUs} should show the queue");
        h.Write(s, TcpHarness.Bytes(10 * 1368));
        var segs = h.Drain();
        h.AdvanceMs(100);
        h.Silent();
        h.SendAck(segs[0].Seq, sacks: B(segs[1].Seq, segs[^1].End));
        var (_, r) = h.AdvanceUntilOutput(TimeSpan.FromSeconds(3));
        Assert.Equal(segs[0].Seq, r[0].Seq);
        var after = h.Info(s);
        long floor = (long)(1.25 * after.BandwidthMax * after.MinSrttUs / 1_000_000);
        long cubic = (long)(before.Cwnd * 0.7);
        Assert.True(h.Stack.Metrics.TcpRandomLosses == 0, $"judged random: srtt {before.SrttUs} rttvar {before.RttVarUs} base {before.MinSrttUs}");
        Assert.Equal(Math.Min(Math.Max(cubic, floor), before.Cwnd), after.Cwnd);
    }

    [Fact]
    public async Task Tlp_ProbesLastSegmentAtTwoSrtt_ThenRto()
    {
        await using var h = new TcpHarness(o => o.PathModel = false);
        var s = await h.ConnectAsync();
        h.Write(s, TcpHarness.Bytes(5 * 1368));
        var segs = h.Drain();
        var (after, probe) = h.AdvanceUntilOutput(TimeSpan.FromSeconds(5));
        Assert.Equal(200, after.TotalMilliseconds); // PTO = 2·SRTT, SRTT 100 ms
        var p = Assert.Single(probe);
        Assert.Equal(segs[4].Seq, p.Seq);
        Assert.Equal(segs[4].Payload, p.Payload);
        Assert.Equal(1, h.Stack.Metrics.TcpTailLossProbes);
        // Unanswered: the RTO follows one RTO later and restarts from the head.
        var (after2, r) = h.AdvanceUntilOutput(TimeSpan.FromSeconds(5));
        Assert.Equal(1000, after2.TotalMilliseconds);
        Assert.Equal(segs[0].Seq, Assert.Single(r).Seq);
    }

    [Fact]
    public async Task Tlp_SingleSegmentInFlight_AddsDelayedAckAllowance()
    {
        await using var h = new TcpHarness(o => o.PathModel = false);
        var s = await h.ConnectAsync();
        h.Write(s, TcpHarness.Bytes(3 * 1368));
        var segs = h.Drain();
        h.AdvanceMs(100);
        h.SendAck(segs[2].Seq); // the tail segment is still out
        var (after, probe) = h.AdvanceUntilOutput(TimeSpan.FromSeconds(5));
        // PTO = 2·SRTT + WCDelAckT (200 ms) when one segment is in flight (RFC 8985 §7.2).
        Assert.Equal(400, after.TotalMilliseconds);
        Assert.Equal(segs[2].Seq, Assert.Single(probe).Seq);
        // The probe is acknowledged: no further retransmission.
        h.AdvanceMs(100);
        h.SendAck(segs[2].End);
        h.AdvanceMs(5000);
        h.Silent();
    }

    [Fact]
    public async Task Tlp_SendsNewDataWhenAvailable()
    {
        await using var h = new TcpHarness(o =>
        {
            o.PathModel = false;
            o.InitialWindowSegments = 2;
        });
        var s = await h.ConnectAsync();
        h.Write(s, TcpHarness.Bytes(3 * 1368));
        var segs = h.Drain();
        Assert.Equal(2, segs.Count); // cwnd-limited: the third waits
        var (after, probe) = h.AdvanceUntilOutput(TimeSpan.FromSeconds(5));
        Assert.Equal(200, after.TotalMilliseconds);
        Assert.Equal(segs[1].End, Assert.Single(probe).Seq); // new data, not a retransmission
        Assert.Equal(0, h.Info(s).Retransmits);
    }

    [Fact]
    public async Task Eifel_SpuriousRto_AckEchoingOriginalTsval_Undone()
    {
        await using var h = new TcpHarness(o => o.PathModel = false);
        var s = await h.ConnectAsync(h.SynOptions(sack: false));
        h.Write(s, TcpHarness.Bytes(1000));
        var orig = h.Single();
        h.AdvanceMs(500);
        var (after, r) = h.AdvanceUntilOutput(TimeSpan.FromSeconds(5));
        var rtx = Assert.Single(r);
        Assert.Equal(orig.Seq, rtx.Seq);
        Assert.True(rtx.Options.TsVal > orig.Options.TsVal); // a timeout retransmission carries a fresh TSval
        Assert.Equal(1380, h.Info(s).Cwnd);
        // The ACK for the original (delayed, not lost) arrives: it echoes the original's TSval (RFC 3522).
        h.AdvanceMs(10);
        var o = h.DefaultOptions();
        o.TsEcr = orig.Options.TsVal;
        h.Send(h.PeerNxt, orig.Seq + 1000, TcpFlags.Ack, null, o);
        var info = h.Info(s);
        Assert.Equal(1, info.SpuriousUndos);
        Assert.Equal(13800, info.Cwnd);
    }

    [Fact]
    public async Task Rto_AckEchoingRetransmission_NotUndone()
    {
        await using var h = new TcpHarness(o => o.PathModel = false);
        var s = await h.ConnectAsync(h.SynOptions(sack: false));
        h.Write(s, TcpHarness.Bytes(1000));
        var orig = h.Single();
        h.AdvanceUntilOutput(TimeSpan.FromSeconds(5));
        h.AdvanceMs(100);
        h.SendAck(orig.Seq + 1000); // echoes the retransmission's TSval: it was needed
        var info = h.Info(s);
        Assert.Equal(0, info.SpuriousUndos);
        Assert.Equal(1380, info.Cwnd);
    }
}
