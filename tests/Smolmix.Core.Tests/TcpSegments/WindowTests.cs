using Smolmix.Tcp;
using Smolmix.Wire;

namespace Smolmix.Tests.TcpSegments;

public class WindowTests
{
    private static TcpHarness Small(int buffer = 32768) => new(o =>
    {
        o.TcpReceiveBufferSize = buffer;
        o.TcpMaxReceiveBufferSize = buffer;
    });

    [Fact]
    public async Task RightEdgeNeverMovesLeft_WhileAppDoesNotRead()
    {
        await using var h = Small();
        var s = await h.ConnectAsync(h.SynOptions(ts: false));
        uint b = h.PeerNxt;
        var rng = new Random(7);
        uint lastEdge = 0;
        uint lastAck = b;
        bool first = true;
        int zeroWindows = 0;
        for (int i = 0; i < 400; i++)
        {
            // The peer sends anywhere in (and a little beyond) the window it was last offered, in any order.
            uint edge = first ? b + 32768 : lastEdge;
            int span = (int)(edge - h.PeerNxt) + 2000;
            uint seq = h.PeerNxt + (uint)rng.Next(0, Math.Max(1, span));
            if (rng.Next(4) == 0)
            {
                seq = h.PeerNxt;
            }
            int len = rng.Next(1, 1381);
            h.SendData(TcpHarness.Bytes(len, i), seq: seq);
            h.PeerNxt = lastAck;
            if (rng.Next(3) == 0)
            {
                h.AdvanceMs(40);
            }
            foreach (var a in h.Drain())
            {
                uint e = a.Ack + a.Window;
                if (!first)
                {
                    Assert.True(Seq.Ge(e, lastEdge), $"right edge moved left: {lastEdge} -> {e} ({a})");
                }
                Assert.True(Seq.Ge(a.Ack, lastAck));
                Assert.True((long)(uint)(e - b) <= 32768, $"advertised beyond the buffer: {a}");
                first = false;
                lastEdge = e;
                lastAck = a.Ack;
                zeroWindows += a.Window == 0 ? 1 : 0;
            }
            h.PeerNxt = lastAck;
        }
        Assert.Equal(32768, h.Readable(s));
        Assert.Equal(b + 32768, lastAck);
        Assert.True(zeroWindows > 0);
    }

    [Fact]
    public async Task ZeroWindow_WhenBufferFull_ThenUpdateAfterRead()
    {
        await using var h = Small(8192);
        var s = await h.ConnectAsync(h.SynOptions(ts: false));
        uint b = h.PeerNxt;
        for (int i = 0; i < 6; i++)
        {
            h.SendData(TcpHarness.Bytes(i < 5 ? 1380 : 8192 - 5 * 1380, i));
        }
        h.AdvanceMs(40);
        var last = h.Drain()[^1];
        Assert.Equal(b + 8192, last.Ack);
        Assert.Equal(0, last.Window);
        // A probe (one byte at RCV.NXT) is answered with the zero window, its byte not accepted.
        h.SendData([0xAA]);
        h.PeerNxt = b + 8192;
        var probeAck = h.Single();
        Assert.Equal(b + 8192, probeAck.Ack);
        Assert.Equal(0, probeAck.Window);
        // Reading less than an MSS does not announce a silly window...
        Assert.Equal(1000, h.ReadAvailable(s, 1000).Length);
        h.Silent();
        // ...reading enough does, at once.
        Assert.Equal(2000, h.ReadAvailable(s, 2000).Length);
        var upd = h.Single();
        Assert.Equal(TcpFlags.Ack, upd.Flags);
        Assert.Equal(b + 8192, upd.Ack);
        Assert.Equal(3000, upd.Window);
        // The reopened window takes data again.
        h.SendData(TcpHarness.Bytes(1000, 9));
        h.AdvanceMs(40);
        var a = h.Single();
        Assert.Equal(b + 9192, a.Ack);
        Assert.Equal(2000, a.Window);
    }

    [Fact]
    public async Task ZeroWindow_WithScaling_ReachedAndReopenedByRead()
    {
        await using var h = new TcpHarness(o =>
        {
            o.TcpReceiveBufferSize = 64 * 1024;
            o.TcpMaxReceiveBufferSize = 4 * 1024 * 1024;
        });
        var s = await h.ConnectAsync();
        uint b = h.PeerNxt;
        uint edge = b + 65536;
        int acks = 0;
        for (int i = 0; i < 200 && Seq.Lt(h.PeerNxt, edge); i++)
        {
            int n = (int)Math.Min(1368u, edge - h.PeerNxt);
            h.SendData(TcpHarness.Bytes(n, i));
            h.AdvanceMs(40);
            var a = h.Drain()[^1];
            acks++;
            Assert.True(Seq.Ge(a.Ack + ((uint)a.Window << 7), edge), "right edge moved left");
            edge = a.Ack + ((uint)a.Window << 7);
        }
        // Rounding the scaled window up (never shrinking) may offer a little past the buffer, but the stack
        // accepts at most one scale unit (128 bytes) beyond its budget: memory stays bounded however many
        // ACKs round up.
        int readable = h.Readable(s);
        Assert.InRange(readable, 65536 - 1368, 65536 + 128);
        h.ReadAvailable(s);
        var upd = h.Single();
        Assert.Equal(b + (uint)readable, upd.Ack);
        Assert.Equal(65536 >> 7, upd.Window);
    }

    [Fact]
    public async Task PeerZeroWindow_PersistProbesWithBackoff_ReopenResumesSending()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync();
        h.Write(s, TcpHarness.Bytes(2000));
        var data = h.Drain();
        Assert.Equal(2, data.Count);
        h.AdvanceMs(100);
        h.SendAck(h.OurIss + 2001, window: 0);
        h.Silent();
        h.Write(s, TcpHarness.Bytes(500, 3));
        h.Silent(); // window closed: nothing may go out
        var gaps = new List<double>();
        for (int i = 0; i < 4; i++)
        {
            var (after, segs) = h.AdvanceUntilOutput(TimeSpan.FromMinutes(1));
            gaps.Add(after.TotalSeconds);
            var probe = Assert.Single(segs);
            Assert.Equal(TcpFlags.Ack, probe.Flags);
            Assert.Equal(h.OurIss + 2000, probe.Seq); // SND.UNA − 1: an old byte elicits an ACK
            Assert.Equal(h.PeerNxt, probe.Ack);
            Assert.Empty(probe.Payload);
            if (i < 3)
            {
                // Answered, still closed: probing continues.
                h.SendAck(h.OurIss + 2001, window: 0);
                h.Silent();
            }
        }
        Assert.Equal([1.0, 2.0, 4.0, 8.0], gaps);
        Assert.Equal(4, h.Stack.Metrics.TcpZeroWindowProbes);
        // The window opens: the queued data goes at once.
        h.SendAck(h.OurIss + 2001, window: 100);
        var seg = h.Single();
        Assert.Equal(h.OurIss + 2001, seg.Seq);
        Assert.Equal(TcpHarness.Bytes(500, 3), seg.Payload);
        h.AdvanceMs(100);
        h.SendAck(h.OurIss + 2501, window: 100);
        h.AdvanceMs(30_000);
        h.Silent(); // probing has stopped
    }

    [Fact]
    public async Task PeerWindowScale_NotAppliedToSynAck_AppliedAfterwards()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync(synAckWindow: 1000);
        Assert.Equal(1000, h.Info(s).SendWindow);
        h.Write(s, TcpHarness.Bytes(20000));
        var first = h.Drain();
        Assert.Equal([1000], first.Select(x => x.Len));
        h.AdvanceMs(100);
        h.SendAck(h.OurIss + 1001, window: 100); // 100 << 7 = 12800 bytes
        Assert.Equal(12800, h.Info(s).SendWindow);
        var more = h.Drain();
        Assert.True(more.Count >= 9);
        uint end = more.Max(x => x.Seq + (uint)x.Len);
        Assert.True(Seq.Le(end, h.OurIss + 1001 + 12800));
        // Sender-side SWS avoidance keeps the 488-byte remainder back while data is in flight.
        Assert.Equal(9 * 1368, more.Sum(x => x.Len));
    }

    [Fact]
    public async Task PeerWindowScale_Passive_AppliedFromHandshakeAck()
    {
        await using var h = new TcpHarness();
        var (s, l, _) = await h.AcceptAsync(h.SynOptions(wscale: 2));
        using var _l = l;
        Assert.Equal(65535L << 2, h.Info(s).SendWindow);
    }
}
