using System.Net.Sockets;
using Smolmix.Tcp;
using Smolmix.Wire;

namespace Smolmix.Tests.TcpSegments;

public class RetransmissionTests
{
    [Fact]
    public async Task Rto_FiresAtMinRto_DoublesUpToMaxRto_ResetsAfterAck()
    {
        // No SACK: no tail loss probe, the RTO alone.
        await using var h = new TcpHarness(o => o.UserTimeout = TimeSpan.FromHours(1));
        var s = await h.ConnectAsync(h.SynOptions(sack: false));
        h.Write(s, TcpHarness.Bytes(100));
        var orig = h.Single();
        var gaps = new List<double>();
        for (int i = 0; i < 8; i++)
        {
            var (after, segs) = h.AdvanceUntilOutput(TimeSpan.FromMinutes(5));
            gaps.Add(after.TotalSeconds);
            var r = Assert.Single(segs);
            Assert.Equal(orig.Seq, r.Seq);
            Assert.Equal(orig.Payload, r.Payload);
            Assert.Equal(orig.Ack, r.Ack);
        }
        // RFC 6298 §5.5: back off by doubling; §2.5: a maximum of at least 60 s may be placed on it.
        Assert.Equal([1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0], gaps);
        Assert.Equal(8, h.Info(s).Retransmits);
        Assert.Equal(8, h.Stack.Metrics.TcpTimeouts);
        h.AdvanceMs(100);
        h.SendAck(orig.Seq + 100);
        h.Silent();
        // The backoff is gone: the next loss is detected one (initial) RTO after sending.
        h.Write(s, TcpHarness.Bytes(10));
        h.Single();
        var (again, _) = h.AdvanceUntilOutput(TimeSpan.FromMinutes(5));
        Assert.Equal(1.0, again.TotalSeconds);
    }

    [Fact]
    public async Task Rto_GiveUpAfterMaxRetransmissions_RstAndTimedOut()
    {
        await using var h = new TcpHarness(o => o.MaxRetransmissions = 4);
        var s = await h.ConnectAsync(h.SynOptions(sack: false));
        h.Write(s, TcpHarness.Bytes(100));
        var orig = h.Single();
        for (int i = 0; i < 4; i++)
        {
            var (_, segs) = h.AdvanceUntilOutput(TimeSpan.FromMinutes(5));
            Assert.Equal(orig.Seq, Assert.Single(segs).Seq);
        }
        Assert.Equal(15.0, h.Elapsed.TotalSeconds - 0.1, 3);
        var (after, last) = h.AdvanceUntilOutput(TimeSpan.FromMinutes(5));
        Assert.Equal(16.0, after.TotalSeconds);
        var rst = Assert.Single(last);
        Assert.Equal(TcpFlags.Rst | TcpFlags.Ack, rst.Flags);
        Assert.Equal(orig.Seq + 100, rst.Seq);
        Assert.Equal(h.PeerNxt, rst.Ack);
        Assert.Equal(TcpState.Closed, h.State(s));
        var ex = await Assert.ThrowsAsync<IOException>(async () => _ = await s.ReadAsync(new byte[1]));
        Assert.Equal(SocketError.TimedOut, Assert.IsType<SocketException>(ex.InnerException).SocketErrorCode);
    }

    [Fact]
    public async Task Rto_UserTimeoutAbortsEvenBeforeMaxRetransmissions()
    {
        await using var h = new TcpHarness(o => o.UserTimeout = TimeSpan.FromSeconds(10));
        var s = await h.ConnectAsync(h.SynOptions(sack: false));
        h.Write(s, TcpHarness.Bytes(100));
        h.Single();
        // Retransmissions at 1, 3, 7 s; at 15 s more than 10 s passed without progress: RST.
        for (int i = 0; i < 3; i++)
        {
            Assert.False(h.AdvanceUntilOutput(TimeSpan.FromMinutes(1)).Segs[0].Rst);
        }
        var (after, segs) = h.AdvanceUntilOutput(TimeSpan.FromMinutes(1));
        Assert.InRange(after.TotalSeconds, 3.0, 8.0);
        Assert.True(Assert.Single(segs).Rst);
        Assert.Equal(TcpState.Closed, h.State(s));
    }

    [Fact]
    public async Task Rtt_FromTransmitTimes_ThenFromTimestampEchoAfterRetransmission()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync(h.SynOptions(sack: false), rtt: TimeSpan.FromMilliseconds(100));
        var i0 = h.Info(s);
        Assert.Equal(100_000, i0.SrttUs);
        Assert.Equal(50_000, i0.RttVarUs);
        h.Write(s, TcpHarness.Bytes(100));
        h.Single();
        h.AdvanceMs(300);
        h.SendAck(h.OurIss + 101);
        var i1 = h.Info(s);
        Assert.Equal(125_000, i1.SrttUs);   // 100 + (300 − 100)/8
        Assert.Equal(87_500, i1.RttVarUs);  // 50 + (200 − 50)/4
        Assert.Equal(100_000, i1.MinRttUs);
        // A retransmitted segment gives no transmit-time sample (Karn), but the echoed TSval identifies the copy.
        h.Write(s, TcpHarness.Bytes(100));
        h.Single();
        var (after, rtx) = h.AdvanceUntilOutput(TimeSpan.FromSeconds(5));
        Assert.Equal(1.0, after.TotalSeconds);
        h.AdvanceMs(200);
        h.SendAck(h.OurIss + 201); // echoes the retransmission's TSval
        var i2 = h.Info(s);
        Assert.Equal(134_375, i2.SrttUs);   // 125 + (200 − 125)/8
        Assert.Equal(84_375, i2.RttVarUs);  // 87.5 + (75 − 87.5)/4
    }

    [Fact]
    public async Task Rto_RetransmitsOnlyOneSegmentThenSlowStarts()
    {
        await using var h = new TcpHarness(o => o.PathModel = false);
        var s = await h.ConnectAsync(h.SynOptions(sack: false));
        h.Write(s, TcpHarness.Bytes(5 * 1368));
        var orig = h.Drain();
        Assert.Equal(5, orig.Count);
        var (_, r1) = h.AdvanceUntilOutput(TimeSpan.FromSeconds(5));
        Assert.Equal(orig[0].Seq, Assert.Single(r1).Seq);
        Assert.Equal(1380, h.Info(s).Cwnd);
        // The first is acknowledged: two more go (cwnd 2 MSS).
        h.AdvanceMs(100);
        h.SendAck(orig[1].Seq);
        var r2 = h.Drain();
        Assert.Equal([orig[1].Seq, orig[2].Seq], r2.Select(x => x.Seq));
    }
}
