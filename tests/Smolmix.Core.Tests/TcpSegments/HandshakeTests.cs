using System.Net.Sockets;
using Smolmix.Tcp;
using Smolmix.Wire;

namespace Smolmix.Tests.TcpSegments;

public class HandshakeTests
{
    private static async Task<SocketException> Fails(Task t)
    {
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => t.WaitAsync(TimeSpan.FromSeconds(10)));
        return Assert.IsType<SocketException>(ex);
    }

    [Fact]
    public async Task ActiveOpen_SynCarriesLinuxOrderedOptions()
    {
        await using var h = new TcpHarness();
        var (_, syn) = h.StartConnect();
        Assert.Equal(TcpFlags.Syn, syn.Flags);
        Assert.Equal(0u, syn.Ack);
        Assert.Equal(80, syn.DstPort);
        Assert.InRange(syn.SrcPort, 49152, 65535);
        Assert.Equal(65535, syn.Window);
        Assert.Empty(syn.Payload);
        // MSS 1380 (MTU 1420 − 40), SACK-permitted + timestamps packed, NOP, window scale 7: exactly Linux's layout.
        byte[] ts = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(ts, syn.Options.TsVal);
        byte[] expected = [2, 4, 0x05, 0x64, 4, 2, 8, 10, ts[0], ts[1], ts[2], ts[3], 0, 0, 0, 0, 1, 3, 3, 7];
        Assert.Equal(expected, syn.OptionBytes);
        Assert.Equal(1380, syn.Options.Mss);
        Assert.Equal(20 + 20 + 20, syn.IpTotalLength);
    }

    [Fact]
    public async Task ActiveOpen_Established_AcksSynAckAndAdoptsPeerOptions()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync();
        Assert.Equal(TcpState.Established, h.State(s));
        // The first data segment carries timestamps only (no SACK blocks) and uses min(our, peer) MSS minus 12.
        h.Write(s, TcpHarness.Bytes(3000));
        var segs = h.Drain();
        Assert.Equal([1368, 1368, 264], segs.Select(x => x.Len));
        Assert.All(segs, x => Assert.Equal(12, x.OptionBytes.Length));
        Assert.All(segs, x => Assert.True(x.Options.HasTimestamps));
        Assert.Equal(h.OurIss + 1, segs[0].Seq);
        Assert.Equal(h.PeerIss + 1, segs[0].Ack);
    }

    [Fact]
    public async Task ActiveOpen_SynRetransmittedWithDoublingTimeout_ThenGivesUp()
    {
        await using var h = new TcpHarness(o =>
        {
            o.SynRetries = 4;
            o.ConnectTimeout = TimeSpan.FromHours(1);
        });
        var (task, syn) = h.StartConnect();
        var gaps = new List<double>();
        for (int i = 0; i < 4; i++)
        {
            var (after, segs) = h.AdvanceUntilOutput(TimeSpan.FromMinutes(2));
            gaps.Add(after.TotalSeconds);
            var r = Assert.Single(segs);
            Assert.Equal(TcpFlags.Syn, r.Flags);
            Assert.Equal(syn.Seq, r.Seq);
            Assert.Equal(syn.SrcPort, r.SrcPort);
            Assert.Equal(syn.Options.Mss, r.Options.Mss);
        }
        Assert.Equal([3.0, 6.0, 12.0, 24.0], gaps);
        Assert.False(task.IsCompleted);
        h.Advance(TimeSpan.FromSeconds(47.999));
        Assert.False(task.IsCompleted);
        h.Advance(TimeSpan.FromMilliseconds(1));
        var ex = await Fails(task);
        Assert.Equal(SocketError.TimedOut, ex.SocketErrorCode);
        h.Silent(); // no RST for a connection that never synchronized
        Assert.Equal(0, h.Stack.ConnectionCount);
    }

    [Fact]
    public async Task ActiveOpen_SynBackoffCappedAtMaxRto()
    {
        await using var h = new TcpHarness(o =>
        {
            o.SynRetries = 6;
            o.MaxRto = TimeSpan.FromSeconds(20);
            o.ConnectTimeout = TimeSpan.FromHours(1);
        });
        h.StartConnect();
        var gaps = new List<double>();
        for (int i = 0; i < 6; i++)
        {
            var (after, segs) = h.AdvanceUntilOutput(TimeSpan.FromMinutes(2));
            Assert.Single(segs);
            gaps.Add(after.TotalSeconds);
        }
        Assert.Equal([3.0, 6.0, 12.0, 20.0, 20.0, 20.0], gaps);
    }

    [Fact]
    public async Task ActiveOpen_ConnectTimeoutHonoured()
    {
        await using var h = new TcpHarness();
        var (task, _) = h.StartConnect(TimeSpan.FromSeconds(5));
        var (after, segs) = h.AdvanceUntilOutput(TimeSpan.FromSeconds(10));
        Assert.Equal(3.0, after.TotalSeconds);
        Assert.Single(segs);
        h.Advance(TimeSpan.FromMilliseconds(1999));
        Assert.False(task.IsCompleted);
        h.Advance(TimeSpan.FromMilliseconds(1));
        var ex = await Fails(task);
        Assert.Equal(SocketError.TimedOut, ex.SocketErrorCode);
        h.Advance(TimeSpan.FromSeconds(30));
        h.Silent();
    }

    [Fact]
    public async Task ActiveOpen_RstAckToSyn_RefusedImmediately()
    {
        await using var h = new TcpHarness();
        var (task, syn) = h.StartConnect();
        h.Send(0, syn.Seq + 1, TcpFlags.Rst | TcpFlags.Ack, 0, TcpOptions.Empty);
        var ex = await Fails(task);
        Assert.Equal(SocketError.ConnectionRefused, ex.SocketErrorCode);
        h.Silent();
        Assert.Equal(0, h.Stack.ConnectionCount);
    }

    [Fact]
    public async Task ActiveOpen_RstWithBadAckOrNoAck_Ignored()
    {
        await using var h = new TcpHarness();
        var (task, syn) = h.StartConnect();
        h.Send(0, syn.Seq + 2, TcpFlags.Rst | TcpFlags.Ack, 0, TcpOptions.Empty); // unacceptable ACK
        h.Send(0, 0, TcpFlags.Rst, 0, TcpOptions.Empty);                           // no ACK
        h.Silent();
        Assert.False(task.IsCompleted);
        h.AdvanceMs(10);
        h.PeerTs = true;
        h.Send(h.PeerIss, syn.Seq + 1, TcpFlags.Syn | TcpFlags.Ack, 65535, h.SynOptions());
        Assert.Equal(TcpFlags.Ack, h.Single().Flags);
        await task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Theory]
    [InlineData(0)]   // acks the ISS itself (nothing new)
    [InlineData(2)]   // acks beyond the SYN
    [InlineData(-5)]  // acks far in the past
    public async Task ActiveOpen_SynAckWithBadAck_RstAndStaysSynSent(int delta)
    {
        await using var h = new TcpHarness();
        var (task, syn) = h.StartConnect();
        uint bad = (uint)(syn.Seq + delta);
        h.Send(h.PeerIss, bad, TcpFlags.Syn | TcpFlags.Ack, 65535, h.SynOptions());
        var rst = h.Single();
        Assert.Equal(TcpFlags.Rst, rst.Flags);
        Assert.Equal(bad, rst.Seq);
        Assert.Equal(0u, rst.Ack);
        Assert.Equal(TcpState.SynSent, h.OnlyConnection()!.State);
        Assert.False(task.IsCompleted);
        // The genuine SYN-ACK still completes the handshake.
        h.PeerTs = true;
        h.Send(h.PeerIss, syn.Seq + 1, TcpFlags.Syn | TcpFlags.Ack, 65535, h.SynOptions());
        var ack = h.Single();
        Assert.Equal(TcpFlags.Ack, ack.Flags);
        Assert.Equal(h.PeerIss + 1, ack.Ack);
        await task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task ActiveOpen_AdvertisedWindowAfterHandshakeBoundedByBuffer_WhateverThePeerIss()
    {
        // RCV.NXT becomes known only with the SYN-ACK: the right edge advertised in our SYN must be re-anchored
        // on it, or the first ACK advertises a window computed from garbage (here about 2 GB, clamped to 8 MiB).
        await using var h = new TcpHarness();
        h.PeerIss = 0x8001_0000;
        var s = await h.ConnectAsync();
        h.SendData(TcpHarness.Bytes(100));
        h.AdvanceMs(40);
        var ack = h.Single();
        long window = (long)ack.Window << 7;
        Assert.InRange(window, 1, h.Options.TcpReceiveBufferSize);
        // And data beyond the buffer's worth of window is not accepted.
        uint far = h.PeerNxt + (uint)h.Options.TcpReceiveBufferSize + 1000;
        h.SendData(TcpHarness.Bytes(100), seq: far);
        var dup = h.Single();
        Assert.Equal(h.PeerNxt, dup.Ack);
        Assert.Empty(dup.Sacks);
        Assert.Equal(100, h.Readable(s));
    }

    [Fact]
    public async Task PassiveOpen_SynAckCarriesOnlyOfferedOptions()
    {
        await using var h = new TcpHarness();
        using var l = h.Stack.Listen(80);
        h.LocalPort = 80;
        h.PeerPort = 40000;
        var o = TcpOptions.Empty;
        o.Mss = 1460;
        o.SackPermitted = true;
        o.WindowScale = 2;
        h.Send(h.PeerIss, 0, TcpFlags.Syn, 65535, o);
        var sa = h.Single();
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, sa.Flags);
        Assert.Equal(h.PeerIss + 1, sa.Ack);
        Assert.Equal(80, sa.SrcPort);
        Assert.Equal(40000, sa.DstPort);
        Assert.Equal(65535, sa.Window);
        Assert.Equal(new byte[] { 2, 4, 0x05, 0x64, 1, 1, 4, 2, 1, 3, 3, 7 }, sa.OptionBytes);
        Assert.False(sa.Options.HasTimestamps);
    }

    [Fact]
    public async Task PassiveOpen_NoOptionsOffered_OnlyMss()
    {
        await using var h = new TcpHarness();
        using var l = h.Stack.Listen(80);
        h.LocalPort = 80;
        h.PeerPort = 40000;
        h.Send(h.PeerIss, 0, TcpFlags.Syn, 8192, TcpOptions.Empty);
        var sa = h.Single();
        Assert.Equal(new byte[] { 2, 4, 0x05, 0x64 }, sa.OptionBytes);
        // Without window scaling the peer's windows are taken as they are, and our MSS toward it is 536.
        h.SendAck(sa.Seq + 1, window: 8192);
        var s = await l.AcceptAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        h.Write(s, TcpHarness.Bytes(2000));
        var segs = h.Drain();
        Assert.Equal([536, 536, 536, 392], segs.Select(x => x.Len));
        Assert.All(segs, x => Assert.Empty(x.OptionBytes));
        Assert.All(segs, x => Assert.True(x.Window <= 65535));
    }

    [Fact]
    public async Task PassiveOpen_TimestampsEchoedInSynAck()
    {
        await using var h = new TcpHarness();
        using var l = h.Stack.Listen(80);
        h.LocalPort = 80;
        h.PeerPort = 40000;
        var o = h.SynOptions();
        h.Send(h.PeerIss, 0, TcpFlags.Syn, 65535, o);
        var sa = h.Single();
        Assert.True(sa.Options.HasTimestamps);
        Assert.Equal(o.TsVal, sa.Options.TsEcr);
        Assert.True(sa.Options.SackPermitted);
        Assert.Equal(7, sa.Options.WindowScale);
        Assert.Equal(1380, sa.Options.Mss);
    }

    [Fact]
    public async Task PassiveOpen_RetransmittedSyn_SameSynAck()
    {
        await using var h = new TcpHarness();
        using var l = h.Stack.Listen(80);
        h.LocalPort = 80;
        h.PeerPort = 40000;
        h.Send(h.PeerIss, 0, TcpFlags.Syn, 65535, h.SynOptions(ts: false));
        var first = h.Single();
        h.AdvanceMs(1000);
        h.Send(h.PeerIss, 0, TcpFlags.Syn, 65535, h.SynOptions(ts: false));
        var again = h.Single();
        Assert.Equal(first.Flags, again.Flags);
        Assert.Equal(first.Seq, again.Seq);
        Assert.Equal(first.Ack, again.Ack);
        Assert.Equal(first.Window, again.Window);
        Assert.Equal(first.OptionBytes, again.OptionBytes);
        h.SendAck(first.Seq + 1);
        h.Silent();
        var s = await l.AcceptAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(TcpState.Established, h.State(s));
    }

    [Fact]
    public async Task PassiveOpen_SynAckRetransmittedWithBackoff()
    {
        await using var h = new TcpHarness();
        using var l = h.Stack.Listen(80);
        h.LocalPort = 80;
        h.PeerPort = 40000;
        h.Send(h.PeerIss, 0, TcpFlags.Syn, 65535, h.SynOptions(ts: false));
        var first = h.Single();
        var (a1, s1) = h.AdvanceUntilOutput(TimeSpan.FromMinutes(1));
        var (a2, s2) = h.AdvanceUntilOutput(TimeSpan.FromMinutes(1));
        Assert.Equal(3.0, a1.TotalSeconds);
        Assert.Equal(6.0, a2.TotalSeconds);
        Assert.Equal(first.Seq, Assert.Single(s1).Seq);
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, Assert.Single(s2).Flags);
    }

    [Fact]
    public async Task PassiveOpen_AckEstablishesAndAcceptReturns()
    {
        await using var h = new TcpHarness();
        var (s, l, synAck) = await h.AcceptAsync();
        using var _ = l;
        Assert.Equal(TcpState.Established, h.State(s));
        Assert.Equal(80, s.LocalEndPoint.Port);
        Assert.Equal(40000, s.RemoteEndPoint.Port);
        // SRTT from the SYN-ACK's transmit time (100 ms).
        Assert.Equal(100_000, h.Info(s).SrttUs);
        h.SendData(TcpHarness.Bytes(10));
        Assert.Equal(TcpHarness.Bytes(10), h.ReadAvailable(s));
    }

    [Fact]
    public async Task PassiveOpen_BadAckInSynReceived_Rst()
    {
        await using var h = new TcpHarness();
        using var l = h.Stack.Listen(80);
        h.LocalPort = 80;
        h.PeerPort = 40000;
        h.Send(h.PeerIss, 0, TcpFlags.Syn, 65535, h.SynOptions(ts: false));
        var sa = h.Single();
        h.PeerNxt = h.PeerIss + 1;
        h.SendAck(sa.Seq + 5);
        var rst = h.Single();
        Assert.Equal(TcpFlags.Rst, rst.Flags);
        Assert.Equal(sa.Seq + 5, rst.Seq);
        Assert.Equal(TcpState.SynReceived, h.OnlyConnection()!.State);
    }

    [Fact]
    public async Task PassiveOpen_RstInSynReceived_DropsEmbryo()
    {
        await using var h = new TcpHarness();
        using var l = h.Stack.Listen(80);
        h.LocalPort = 80;
        h.PeerPort = 40000;
        h.Send(h.PeerIss, 0, TcpFlags.Syn, 65535, h.SynOptions(ts: false));
        h.Single();
        h.Send(h.PeerIss + 1, 0, TcpFlags.Rst, 0, TcpOptions.Empty);
        h.Silent();
        Assert.Equal(0, h.Stack.ConnectionCount);
        Assert.False(l.TryAccept(out _));
        // The listener is still there: a new SYN gets a SYN-ACK.
        h.Send(h.PeerIss + 1000, 0, TcpFlags.Syn, 65535, h.SynOptions(ts: false));
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, h.Single().Flags);
    }

    [Fact]
    public async Task ClosedPort_SynGetsRstAck()
    {
        await using var h = new TcpHarness();
        h.LocalPort = 81;
        h.PeerPort = 40000;
        h.Send(h.PeerIss, 0, TcpFlags.Syn, 65535, h.SynOptions());
        var rst = h.Single();
        Assert.Equal(TcpFlags.Rst | TcpFlags.Ack, rst.Flags);
        Assert.Equal(0u, rst.Seq);
        Assert.Equal(h.PeerIss + 1, rst.Ack);
        Assert.Equal(0, rst.Window);
        Assert.Empty(rst.OptionBytes);
        Assert.Equal(1, h.Stack.Metrics.Drops(DropReason.NoSocket));
    }

    [Fact]
    public async Task NoConnection_SegmentWithAck_RstWithSeqEqualAck()
    {
        await using var h = new TcpHarness();
        h.LocalPort = 81;
        h.PeerPort = 40000;
        h.Send(5000, 777_777, TcpFlags.Ack | TcpFlags.Psh, 100, TcpOptions.Empty, TcpHarness.Bytes(20));
        var rst = h.Single();
        Assert.Equal(TcpFlags.Rst, rst.Flags);
        Assert.Equal(777_777u, rst.Seq);
        Assert.Equal(0u, rst.Ack);
    }

    [Fact]
    public async Task NoConnection_DataWithoutAck_RstAckCoversSegment()
    {
        await using var h = new TcpHarness();
        h.LocalPort = 81;
        h.PeerPort = 40000;
        h.Send(5000, 0, TcpFlags.Fin, 100, TcpOptions.Empty, TcpHarness.Bytes(20));
        var rst = h.Single();
        Assert.Equal(TcpFlags.Rst | TcpFlags.Ack, rst.Flags);
        Assert.Equal(5021u, rst.Ack); // 20 bytes + FIN
    }

    [Fact]
    public async Task NoConnection_Rst_NoReply()
    {
        await using var h = new TcpHarness();
        h.LocalPort = 81;
        h.PeerPort = 40000;
        h.Send(5000, 1, TcpFlags.Rst | TcpFlags.Ack, 0, TcpOptions.Empty);
        h.Silent();
    }

    [Fact]
    public async Task SimultaneousOpen_SynCrossingSyn()
    {
        await using var h = new TcpHarness();
        var (task, syn) = h.StartConnect();
        h.AdvanceMs(50);
        // The peer's own SYN crosses ours.
        var o = h.SynOptions();
        h.PeerTs = true;
        h.Send(h.PeerIss, 0, TcpFlags.Syn, 65535, o);
        var sa = h.Single();
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, sa.Flags);
        Assert.Equal(syn.Seq, sa.Seq);
        Assert.Equal(h.PeerIss + 1, sa.Ack);
        Assert.Equal(o.TsVal, sa.Options.TsEcr);
        Assert.True(sa.Options.SackPermitted);
        Assert.Equal(7, sa.Options.WindowScale);
        Assert.False(task.IsCompleted);
        // The peer answers our SYN with its SYN-ACK (RFC 793 figure 8): we acknowledge it...
        h.AdvanceMs(50);
        h.Send(h.PeerIss, syn.Seq + 1, TcpFlags.Syn | TcpFlags.Ack, 65535, h.SynOptions());
        var ack = h.Single();
        Assert.Equal(TcpFlags.Ack, ack.Flags);
        Assert.Equal(syn.Seq + 1, ack.Seq);
        Assert.Equal(h.PeerIss + 1, ack.Ack);
        // ...and its ACK of our SYN-ACK completes the open.
        h.PeerNxt = h.PeerIss + 1;
        h.SendAck(syn.Seq + 1);
        h.Silent();
        var s = await task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(TcpState.Established, h.State(s));
        h.SendData(TcpHarness.Bytes(5));
        Assert.Equal(TcpHarness.Bytes(5), h.ReadAvailable(s));
    }
}
