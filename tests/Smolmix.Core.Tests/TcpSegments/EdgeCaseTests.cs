using System.Buffers.Binary;
using System.Net.Sockets;
using Smolmix.Tcp;
using Smolmix.Wire;

namespace Smolmix.Tests.TcpSegments;

public class EdgeCaseTests
{
    private static SackBlock B(uint l, uint r) => new(l, r);

    private static byte[] FragNeeded(Seg quoted, int mtu)
    {
        var pkt = new byte[20 + 8 + 28];
        var m = pkt.AsSpan(20);
        m[0] = 3;
        m[1] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(m[6..], (ushort)mtu);
        quoted.Raw.AsSpan(0, 28).CopyTo(m[8..]);
        BinaryPrimitives.WriteUInt16BigEndian(m[2..], InternetChecksum.Compute(m));
        Ipv4Header.Write(pkt, IpAddr.Parse("192.0.2.1"), TcpHarness.Local, IpProtocol.Icmp, 36, 5, dontFragment: false);
        return pkt;
    }

    [Fact]
    public async Task Icmp_FragNeeded_InFlightSegmentsResentAtNewSize()
    {
        // The router dropped our 1420-byte packets: resending them unchanged can never succeed.
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync();
        h.Write(s, TcpHarness.Bytes(3 * 1368));
        var big = h.Drain();
        Assert.Equal(3, big.Count);
        h.Inject(FragNeeded(big[0], 1000));
        var sent = new List<Seg>(h.Drain());
        for (int i = 0; i < 10 && sent.Sum(x => x.Len) < 3 * 1368; i++)
        {
            var (_, more) = h.AdvanceUntilOutput(TimeSpan.FromSeconds(10));
            sent.AddRange(more);
            if (more.Count > 0)
            {
                h.AdvanceMs(100);
                h.SendAck(more.Max(x => x.Seq + (uint)x.Len));
                sent.AddRange(h.Drain());
            }
        }
        Assert.All(sent, x => Assert.True(x.IpTotalLength <= 1000, x.ToString()));
        Assert.Equal(big[0].Seq, sent[0].Seq);
        Assert.Equal(3 * 1368, sent.Sum(x => x.Len));
        // The bytes are the same bytes.
        var payload = sent.OrderBy(x => x.Seq - big[0].Seq).SelectMany(x => x.Payload).ToArray();
        Assert.Equal(TcpHarness.Bytes(3 * 1368), payload);
    }

    [Fact]
    public async Task PeerZeroWindow_PeerVanishes_AbortsAfterUserTimeout()
    {
        await using var h = new TcpHarness(o => o.UserTimeout = TimeSpan.FromSeconds(60));
        var s = await h.ConnectAsync();
        h.Write(s, TcpHarness.Bytes(100));
        h.Single();
        h.AdvanceMs(100);
        h.SendAck(h.OurIss + 101, window: 0);
        h.Write(s, TcpHarness.Bytes(100));
        // Probes go unanswered: after the user timeout the connection is given up with a RST.
        Seg? rst = null;
        for (int i = 0; i < 20 && rst is null; i++)
        {
            var (_, segs) = h.AdvanceUntilOutput(TimeSpan.FromMinutes(2));
            rst = segs.FirstOrDefault(x => x.Rst);
        }
        Assert.NotNull(rst);
        Assert.InRange(h.Elapsed.TotalSeconds, 60, 60 + 61);
        Assert.Equal(TcpState.Closed, h.State(s));
        var ex = await Assert.ThrowsAsync<IOException>(async () => _ = await s.ReadAsync(new byte[1]));
        Assert.Equal(SocketError.TimedOut, Assert.IsType<SocketException>(ex.InnerException).SocketErrorCode);
    }

    [Fact]
    public async Task TinyPeerMss_ClampedTo64()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync(h.SynOptions(mss: 10));
        h.Write(s, TcpHarness.Bytes(200));
        var segs = h.Drain();
        Assert.All(segs, x => Assert.True(x.Len <= 52));
        Assert.Equal(200, segs.Sum(x => x.Len));
    }

    [Fact]
    public async Task ActiveOpen_PeerWithoutWindowScale_WindowsUnscaledBothWays()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync(h.SynOptions(wscale: -1), synAckWindow: 3000);
        h.SendAck(h.OurIss + 1, window: 2000);
        Assert.Equal(2000, h.Info(s).SendWindow);
        h.SendData(TcpHarness.Bytes(100));
        h.AdvanceMs(40);
        var a = h.Single();
        Assert.Equal(65535, a.Window); // 256 KiB free, but no scaling: the 16-bit maximum
        Assert.Equal(-1, a.Options.WindowScale);
    }

    [Fact]
    public async Task DelayedAck_PiggybackedOnData()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync();
        h.SendData(TcpHarness.Bytes(100));
        h.AdvanceMs(10);
        h.Write(s, TcpHarness.Bytes(50));
        var d = h.Single();
        Assert.Equal(50, d.Len);
        Assert.Equal(h.PeerNxt, d.Ack);
        h.AdvanceMs(100);
        h.Silent();
    }

    [Fact]
    public async Task ListenBacklogFull_OfUnacceptedConnections_SynDropped()
    {
        // (A backlog full of half-open connections answers with SYN cookies instead: SynCookieTests.)
        await using var h = new TcpHarness(o => o.ListenBacklog = 1);
        using var l = h.Stack.Listen(80);
        h.LocalPort = 80;
        h.Send(1000, 0, TcpFlags.Syn, 65535, h.SynOptions(), srcPort: 40001);
        var synAck = h.Single();
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, synAck.Flags);
        h.Send(1001, synAck.Seq + 1, TcpFlags.Ack, 65535, TcpOptions.Empty, srcPort: 40001);
        h.Send(2000, 0, TcpFlags.Syn, 65535, h.SynOptions(), srcPort: 40002);
        h.Silent();
        Assert.Equal(1, h.Stack.Metrics.Drops(DropReason.QueueFull));
        Assert.Equal(0, h.Stack.Metrics.TcpSynCookiesSent);
    }

    [Fact]
    public async Task PassiveOpen_DataOnHandshakeAck_Delivered()
    {
        await using var h = new TcpHarness();
        using var l = h.Stack.Listen(80);
        h.LocalPort = 80;
        h.PeerPort = 40000;
        h.PeerTs = true;
        h.Send(h.PeerIss, 0, TcpFlags.Syn, 65535, h.SynOptions());
        var sa = h.Single();
        h.PeerNxt = h.PeerIss + 1;
        h.PeerAck = sa.Seq + 1;
        h.AdvanceMs(100);
        h.SendData(TcpHarness.Bytes(300));
        var s = await l.AcceptAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(TcpHarness.Bytes(300), h.ReadAvailable(s));
        h.AdvanceMs(40);
        Assert.Equal(h.PeerNxt, h.Single().Ack);
    }

    [Fact]
    public async Task PassiveOpen_HandshakeAckLost_DataSegmentCompletesIt()
    {
        await using var h = new TcpHarness();
        using var l = h.Stack.Listen(80);
        h.LocalPort = 80;
        h.PeerPort = 40000;
        h.Send(h.PeerIss, 0, TcpFlags.Syn, 65535, h.SynOptions(ts: false));
        var sa = h.Single();
        h.PeerNxt = h.PeerIss + 1 + 100; // the first 100 bytes (with the handshake ACK) were lost
        h.PeerAck = sa.Seq + 1;
        h.SendData(TcpHarness.Bytes(50), seq: h.PeerIss + 101);
        var dup = h.Single();
        Assert.Equal(h.PeerIss + 1, dup.Ack);
        Assert.Equal([B(h.PeerIss + 101, h.PeerIss + 151)], dup.Sacks);
        Assert.True(l.TryAccept(out _));
    }

    [Fact]
    public async Task OldReorderedAck_DoesNotShrinkSendWindow()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync();
        h.Write(s, TcpHarness.Bytes(2000));
        var segs = h.Drain();
        h.AdvanceMs(100);
        h.SendAck(segs[1].End, window: 200);
        Assert.Equal(200 << 7, h.Info(s).SendWindow);
        // An older ACK (it acked less) overtaken by the newer one: its window is stale (RFC 9293 SND.WL2 rule).
        h.SendAck(segs[0].End, window: 0);
        Assert.Equal(200 << 7, h.Info(s).SendWindow);
    }

    [Fact]
    public async Task OutputBackpressure_HeldThenResumed()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync();
        h.Out.HasRoom = false;
        h.Write(s, TcpHarness.Bytes(3000));
        h.Silent();
        h.Out.HasRoom = true;
        h.Stack.OnOutputRoom();
        Assert.Equal(3000, h.Drain().Sum(x => x.Len));
    }

    [Fact]
    public async Task ListenerDisposed_UnacceptedConnectionsReset()
    {
        await using var h = new TcpHarness();
        var (s, l, _) = await h.AcceptAsync();
        s.Dispose(); // accepted one: graceful
        h.Drain();
        // A second connection completes the handshake but is never accepted.
        h.PeerPort = 40001;
        h.Send(5000, 0, TcpFlags.Syn, 65535, h.SynOptions(ts: false));
        var sa = h.Single();
        h.Send(5001, sa.Seq + 1, TcpFlags.Ack, 65535, TcpOptions.Empty);
        h.Silent();
        l.Dispose();
        var rst = h.Single();
        Assert.Equal(TcpFlags.Rst | TcpFlags.Ack, rst.Flags);
        Assert.Equal(40001, rst.DstPort);
    }

    [Fact]
    public async Task SimultaneousOpen_RstInSynReceived_Refused()
    {
        await using var h = new TcpHarness();
        var (task, syn) = h.StartConnect();
        h.Send(h.PeerIss, 0, TcpFlags.Syn, 65535, h.SynOptions(ts: false));
        h.Single();
        h.Send(h.PeerIss + 1, 0, TcpFlags.Rst, 0, TcpOptions.Empty);
        var ex = await Assert.ThrowsAsync<SocketException>(() => task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(SocketError.ConnectionRefused, ex.SocketErrorCode);
    }

    [Fact]
    public async Task Retransmission_CarriesCurrentAckAndWindow()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync(h.SynOptions(sack: false));
        h.Write(s, TcpHarness.Bytes(100));
        var orig = h.Single();
        h.SendData(TcpHarness.Bytes(1000));
        h.AdvanceMs(40);
        h.Drain();
        var (_, r) = h.AdvanceUntilOutput(TimeSpan.FromSeconds(5));
        var rtx = Assert.Single(r);
        Assert.Equal(orig.Seq, rtx.Seq);
        Assert.Equal(h.PeerNxt, rtx.Ack);
        Assert.NotEqual(orig.Ack, rtx.Ack);
    }
}
