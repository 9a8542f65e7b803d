using Smolmix.Tcp;
using Smolmix.Wire;

namespace Smolmix.Tests.TcpSegments;

/// <summary>
/// SYN cookies segment by segment (RFC 4987 §3.6): used only while the listener's half-open queue is full;
/// the SYN-ACK keeps no state and carries the peer's options back through the ISN and the TSval; a valid ACK
/// opens the connection at once, a forged, stale or altered one is refused.
/// </summary>
public class SynCookieTests
{
    private const ushort Port = 80;

    /// <summary>A harness whose listener takes two half-open connections, which stay half-open for minutes.</summary>
    private static TcpHarness Small() => new(o =>
    {
        o.ListenBacklog = 2;
        o.ConnectTimeout = TimeSpan.FromMinutes(10);
        o.SynRetries = 20;
    });

    /// <summary>Listens and fills the half-open queue with two SYNs (from ports 5000 and 5001) that are never completed.</summary>
    private static TcpStreamListener ListenFull(TcpHarness h)
    {
        var listener = h.Stack.Listen(Port);
        h.LocalPort = Port;
        h.PeerPort = 40000;
        for (ushort p = 5000; p < 5002; p++)
        {
            h.Send(1000u * p, 0, TcpFlags.Syn, 65535, h.SynOptions(), srcPort: p);
        }
        Assert.Equal(2, h.Drain().Count(s => s.Syn));
        Assert.Equal(2, listener.HalfOpen);
        return listener;
    }

    /// <summary>The peer's SYN; returns our SYN-ACK (and sets the harness's ISNs).</summary>
    private static Seg Syn(TcpHarness h, TcpOptions options)
    {
        h.PeerTs = options.HasTimestamps;
        h.Send(h.PeerIss, 0, TcpFlags.Syn, 65535, options);
        var synAck = h.Single();
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, synAck.Flags);
        Assert.Equal(h.PeerIss + 1, synAck.Ack);
        h.OurIss = synAck.Seq;
        h.PeerNxt = h.PeerIss + 1;
        h.PeerAck = h.OurIss + 1;
        return synAck;
    }

    private static int Connections(TcpHarness h)
    {
        lock (h.Stack.Sync)
        {
            return h.Stack.ConnectionsForTesting().Count();
        }
    }

    [Fact]
    public async Task FullHalfOpenQueue_AnswersWithACookie_AndItsAckOpensAScaledSackConnectionAtOnce()
    {
        await using var h = Small();
        var listener = ListenFull(h);
        var synAck = Syn(h, h.SynOptions());

        // No state kept; the SYN-ACK offers what the SYN asked for, the options riding in its TSval.
        Assert.Equal(2, Connections(h));
        Assert.Equal(1, h.Stack.Metrics.TcpSynCookiesSent);
        Assert.Equal(h.OurMss, synAck.Options.Mss);
        Assert.True(synAck.Options.SackPermitted);
        Assert.Equal(7, synAck.Options.WindowScale);
        Assert.True(synAck.Options.HasTimestamps);
        Assert.Equal(TcpHarness.PeerTsBase, synAck.Options.TsEcr);
        Assert.Equal(7u | 0x10u, synAck.Options.TsVal & 0x3F);

        h.AdvanceMs(100);
        var accept = listener.AcceptAsync().AsTask();
        h.SendAck(h.OurIss + 1);
        h.Silent();
        // Opened by the ACK itself, the fake clock standing still: the accept completes without any timer.
        Assert.Equal(1, h.Stack.Metrics.TcpSynCookiesAccepted);
        Assert.Equal(3, Connections(h));
        var s = await accept.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(TcpState.Established, h.State(s));
        lock (h.Stack.Sync)
        {
            Assert.Equal((7, 7, true, true), TcpHarness.Conn(s).NegotiatedOptions);
        }

        // Data both ways; our windows are scaled (256 KiB >> 7), our TSvals go on from the SYN-ACK's.
        var data = TcpHarness.Bytes(3000, 1);
        h.SendData(data[..1368]);
        h.SendData(data[1368..]);
        var ack = h.Single();
        Assert.Equal(h.PeerNxt, ack.Ack);
        Assert.InRange(ack.Window, 2000, 2048);
        Assert.True(Seq.Ge(ack.Options.TsVal, synAck.Options.TsVal));
        Assert.Equal(data, h.ReadAvailable(s));
        h.Write(s, TcpHarness.Bytes(2000, 2));
        var sent = h.Drain().Where(x => x.Len > 0).ToList();
        Assert.Equal(h.OurIss + 1, sent[0].Seq);
        Assert.Equal(TcpHarness.Bytes(2000, 2), sent.SelectMany(x => x.Payload).ToArray());
    }

    [Fact]
    public async Task CookieWithoutTimestamps_OffersNoScalingOrSack_AndKeepsTheTableMss()
    {
        await using var h = Small();
        var listener = ListenFull(h);
        var synAck = Syn(h, h.SynOptions(mss: 1300, ts: false));
        Assert.Equal(h.OurMss, synAck.Options.Mss);
        Assert.False(synAck.Options.SackPermitted);
        Assert.False(synAck.Options.HasTimestamps);
        Assert.Equal(-1, synAck.Options.WindowScale);

        h.SendAck(h.OurIss + 1);
        var s = await listener.AcceptAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        lock (h.Stack.Sync)
        {
            Assert.Equal((0, 0, false, false), TcpHarness.Conn(s).NegotiatedOptions);
        }

        // The peer's 1300 is carried as the table's 1220: segments are no larger, and the window is unscaled.
        h.Write(s, TcpHarness.Bytes(5000, 3));
        var segs = h.Drain().Where(x => x.Len > 0).ToList();
        Assert.Equal(1220, segs.Max(x => x.Len));
        Assert.Equal(TcpHarness.Bytes(5000, 3), segs.SelectMany(x => x.Payload).ToArray());
        Assert.Equal(65535, segs[0].Window);
    }

    [Fact]
    public async Task ForgedStaleOrAlteredAcks_OpenNothing()
    {
        await using var h = Small();
        ListenFull(h);
        var synAck = Syn(h, h.SynOptions());

        // An ACK from a port that sent no SYN: rejected with a RST.
        h.Send(12345, 0x5eed, TcpFlags.Ack, 1000, h.DefaultOptions(), srcPort: 6000);
        var rst = h.Single();
        Assert.True(rst.Rst);
        Assert.Equal(1, h.Stack.Metrics.TcpSynCookiesRejected);

        // The right ACK number with another sequence number (so another peer ISN): rejected.
        h.Send(h.PeerIss + 1 + 100_000, h.OurIss + 1, TcpFlags.Ack, 1000, h.DefaultOptions());
        Assert.True(h.Single().Rst);
        Assert.Equal(2, h.Stack.Metrics.TcpSynCookiesRejected);

        // A TSecr that is not an echo of our clock (from its future): rejected.
        var o = h.DefaultOptions();
        o.TsEcr += 1_000_000;
        h.Send(h.PeerNxt, h.OurIss + 1, TcpFlags.Ack, 1000, o);
        Assert.True(h.Single().Rst);

        // Timestamps were negotiated but the ACK has none: dropped without an answer (RFC 7323 §3.2).
        h.Send(h.PeerNxt, h.OurIss + 1, TcpFlags.Ack, 1000, TcpOptions.Empty);
        h.Silent();
        Assert.Equal(2, Connections(h));
        Assert.Equal(0, h.Stack.Metrics.TcpSynCookiesAccepted);

        // Past its lifetime (three 64 s ticks) a cookie is refused, even while newer ones are out.
        h.Advance(TimeSpan.FromSeconds(200));
        h.Drain();
        h.Send(777, 0, TcpFlags.Syn, 65535, h.SynOptions(), srcPort: 6001);
        Assert.Contains(h.Drain(), x => x.Syn && x.DstPort == 6001);
        Assert.Equal(2, h.Stack.Metrics.TcpSynCookiesSent);
        var stale = h.DefaultOptions();
        stale.TsEcr = synAck.Options.TsVal;
        h.Send(h.PeerNxt, h.OurIss + 1, TcpFlags.Ack, 1000, stale);
        Assert.True(h.Single().Rst);
        Assert.Equal(2, Connections(h));
        Assert.Equal(0, h.Stack.Metrics.TcpSynCookiesAccepted);
        Assert.Equal(4, h.Stack.Metrics.TcpSynCookiesRejected);
    }

    [Fact]
    public async Task FullAcceptQueue_DropsSyns_RatherThanSendCookies()
    {
        await using var h = new TcpHarness(o => o.ListenBacklog = 2);
        var listener = h.Stack.Listen(Port);
        h.LocalPort = Port;
        h.PeerTs = true;
        for (ushort p = 5000; p < 5002; p++)
        {
            h.Send(1000u * p, 0, TcpFlags.Syn, 65535, h.SynOptions(), srcPort: p);
            var synAck = h.Single();
            h.Send(1000u * p + 1, synAck.Seq + 1, TcpFlags.Ack, 65535, h.DefaultOptions(), srcPort: p);
        }
        h.Silent();

        // Two connections wait to be accepted: a third SYN is dropped (the peer retransmits), no cookie.
        h.Send(h.PeerIss, 0, TcpFlags.Syn, 65535, h.SynOptions(), srcPort: 40000);
        h.Silent();
        Assert.Equal(1, h.Stack.Metrics.Drops(DropReason.QueueFull));
        Assert.Equal(0, h.Stack.Metrics.TcpSynCookiesSent);

        // Once one is accepted, its retransmitted SYN gets an answer.
        _ = await listener.AcceptAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        h.Send(h.PeerIss, 0, TcpFlags.Syn, 65535, h.SynOptions(), srcPort: 40000);
        Assert.True(h.Single().Syn);
    }
}
