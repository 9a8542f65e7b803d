using System.Buffers.Binary;
using System.Net.Sockets;
using Smolmix.Tcp;
using Smolmix.Wire;

namespace Smolmix.Tests.TcpSegments;

/// <summary>Keepalive, Nagle, ICMP errors and malformed segments.</summary>
public class OptionsAndErrorTests
{
    private static TcpHarness WithKeepalive() => new(o =>
    {
        o.KeepAliveIdle = TimeSpan.FromSeconds(10);
        o.KeepAliveInterval = TimeSpan.FromSeconds(5);
        o.KeepAliveProbes = 3;
    });

    [Fact]
    public async Task Keepalive_ProbesAfterIdle_AbortsAfterUnansweredProbes()
    {
        await using var h = WithKeepalive();
        var s = await h.ConnectAsync();
        var gaps = new List<double>();
        for (int i = 0; i < 3; i++)
        {
            var (after, segs) = h.AdvanceUntilOutput(TimeSpan.FromMinutes(1));
            gaps.Add(after.TotalSeconds);
            var p = Assert.Single(segs);
            Assert.Equal(TcpFlags.Ack, p.Flags);
            Assert.Equal(h.OurIss, p.Seq); // SND.NXT − 1
            Assert.Equal(h.PeerNxt, p.Ack);
            Assert.Empty(p.Payload);
        }
        Assert.Equal([10.0, 5.0, 5.0], gaps);
        var (last, rst) = h.AdvanceUntilOutput(TimeSpan.FromMinutes(1));
        Assert.Equal(5.0, last.TotalSeconds);
        Assert.Equal(TcpFlags.Rst | TcpFlags.Ack, Assert.Single(rst).Flags);
        Assert.Equal(TcpState.Closed, h.State(s));
        var ex = await Assert.ThrowsAsync<IOException>(async () => _ = await s.ReadAsync(new byte[1]));
        Assert.Equal(SocketError.TimedOut, Assert.IsType<SocketException>(ex.InnerException).SocketErrorCode);
    }

    [Fact]
    public async Task Keepalive_AnsweredProbe_NextProbeOnlyAfterIdleAgain()
    {
        // RFC 1122 §4.2.3.6: probes only when nothing was received for the idle interval.
        await using var h = WithKeepalive();
        var s = await h.ConnectAsync();
        var (first, _) = h.AdvanceUntilOutput(TimeSpan.FromMinutes(1));
        Assert.Equal(10.0, first.TotalSeconds);
        h.AdvanceMs(100);
        h.SendAck(h.OurIss + 1); // the answer
        h.Silent();
        var (next, segs) = h.AdvanceUntilOutput(TimeSpan.FromMinutes(1));
        Assert.Equal(10.0, next.TotalSeconds);
        Assert.Equal(h.OurIss, Assert.Single(segs).Seq);
        Assert.Equal(TcpState.Established, h.State(s));
    }

    [Fact]
    public async Task Keepalive_TrafficPostponesProbes()
    {
        await using var h = WithKeepalive();
        var s = await h.ConnectAsync();
        for (int i = 0; i < 5; i++)
        {
            h.Advance(TimeSpan.FromSeconds(8));
            h.Silent();
            h.SendData(TcpHarness.Bytes(10, i));
            h.AdvanceMs(40);
            h.Single(); // the delayed ACK
        }
        var (after, _) = h.AdvanceUntilOutput(TimeSpan.FromMinutes(1));
        Assert.Equal(10.0, after.TotalSeconds, 1);
    }

    [Fact]
    public async Task Keepalive_OffByDefault()
    {
        await using var h = new TcpHarness();
        await h.ConnectAsync();
        h.Advance(TimeSpan.FromMinutes(10));
        h.Silent();
    }

    [Fact]
    public async Task Nagle_On_SmallWriteHeldWhileDataUnacked()
    {
        await using var h = new TcpHarness(o => o.Nagle = true);
        var s = await h.ConnectAsync();
        h.Write(s, TcpHarness.Bytes(10, 1));
        var first = h.Single();
        Assert.Equal(10, first.Len);
        h.Write(s, TcpHarness.Bytes(10, 2));
        h.Write(s, TcpHarness.Bytes(10, 3));
        h.Silent();
        h.AdvanceMs(100);
        h.SendAck(first.Seq + 10);
        var second = h.Single();
        Assert.Equal(first.Seq + 10, second.Seq);
        Assert.Equal([.. TcpHarness.Bytes(10, 2), .. TcpHarness.Bytes(10, 3)], second.Payload);
    }

    [Fact]
    public async Task Nagle_On_FullSegmentsNotHeld()
    {
        await using var h = new TcpHarness(o => o.Nagle = true);
        var s = await h.ConnectAsync();
        h.Write(s, TcpHarness.Bytes(10));
        h.Single();
        h.Write(s, TcpHarness.Bytes(2000));
        var segs = h.Drain();
        Assert.Equal([1368], segs.Select(x => x.Len)); // the 632-byte tail waits
    }

    [Fact]
    public async Task Nagle_On_FinNotDelayed()
    {
        await using var h = new TcpHarness(o => o.Nagle = true);
        var s = await h.ConnectAsync();
        h.Write(s, TcpHarness.Bytes(10));
        h.Single();
        h.Write(s, TcpHarness.Bytes(10));
        s.ShutdownWrite();
        var seg = h.Single();
        Assert.Equal(10, seg.Len);
        Assert.True(seg.Fin);
    }

    [Fact]
    public async Task Nagle_OffByDefault_SmallWritesSentAtOnce()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync();
        h.Write(s, TcpHarness.Bytes(10, 1));
        h.Write(s, TcpHarness.Bytes(10, 2));
        var segs = h.Drain();
        Assert.Equal([10, 10], segs.Select(x => x.Len));
        Assert.Equal(segs[0].Seq + 10, segs[1].Seq);
    }

    // ------------------------------------------------------------------ ICMP

    private static byte[] Icmp(TcpHarness h, byte type, byte code, uint rest, byte[] quotedPacket, int quoteLength = 28)
    {
        int q = Math.Min(quoteLength, quotedPacket.Length);
        var pkt = new byte[20 + 8 + q];
        var m = pkt.AsSpan(20);
        m[0] = type;
        m[1] = code;
        BinaryPrimitives.WriteUInt32BigEndian(m[4..], rest);
        quotedPacket.AsSpan(0, q).CopyTo(m[8..]);
        BinaryPrimitives.WriteUInt16BigEndian(m[2..], InternetChecksum.Compute(m));
        Ipv4Header.Write(pkt, IpAddr.Parse("192.0.2.1"), TcpHarness.Local, IpProtocol.Icmp, 8 + q, 77, dontFragment: false);
        return pkt;
    }

    [Fact]
    public async Task Icmp_PortUnreachableQuotingOurSyn_ConnectRefused()
    {
        await using var h = new TcpHarness();
        var (task, syn) = h.StartConnect();
        h.Inject(Icmp(h, 3, 3, 0, syn.Raw));
        var ex = await Assert.ThrowsAsync<SocketException>(() => task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(SocketError.ConnectionRefused, ex.SocketErrorCode);
        Assert.Equal(0, h.Stack.ConnectionCount);
    }

    [Fact]
    public async Task Icmp_PortUnreachableWithImplausibleSeq_Ignored()
    {
        await using var h = new TcpHarness();
        var (task, syn) = h.StartConnect();
        var forged = (byte[])syn.Raw.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(forged.AsSpan(24), syn.Seq + 100_000); // RFC 5927
        h.Inject(Icmp(h, 3, 3, 0, forged));
        Assert.False(task.IsCompleted);
        h.AdvanceMs(10);
        h.PeerTs = true;
        h.Send(h.PeerIss, syn.Seq + 1, TcpFlags.Syn | TcpFlags.Ack, 65535, h.SynOptions());
        await task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Icmp_PortUnreachableWhenEstablished_Soft()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync();
        h.Write(s, TcpHarness.Bytes(10));
        var seg = h.Single();
        h.Inject(Icmp(h, 3, 3, 0, seg.Raw));
        Assert.Equal(TcpState.Established, h.State(s));
    }

    [Fact]
    public async Task Icmp_FragNeeded_LowersMssForLaterSegments()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync();
        h.Write(s, TcpHarness.Bytes(1368));
        var big = h.Single();
        Assert.Equal(1420, big.IpTotalLength);
        h.Inject(Icmp(h, 3, 4, 1000, big.Raw));
        Assert.Equal(960, TcpHarness.Conn(s).Smss);
        h.Write(s, TcpHarness.Bytes(3000, 5));
        var later = h.Drain();
        Assert.NotEmpty(later);
        Assert.All(later, x => Assert.True(x.IpTotalLength <= 1000, x.ToString()));
        Assert.Equal(948, later[0].Len); // 1000 − 40 − 12 bytes of timestamps
    }

    [Fact]
    public async Task Icmp_FragNeeded_BelowMinimumMtuIgnored()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync();
        h.Write(s, TcpHarness.Bytes(1368));
        var big = h.Single();
        h.Inject(Icmp(h, 3, 4, 300, big.Raw));
        Assert.Equal(1380, TcpHarness.Conn(s).Smss);
    }

    // ------------------------------------------------------------------ malformed segments

    private static async Task<(TcpHarness H, TcpStream S)> Established()
    {
        var h = new TcpHarness();
        var s = await h.ConnectAsync();
        return (h, s);
    }

    private static void AssertUndisturbed(TcpHarness h, TcpStream s)
    {
        h.Silent();
        Assert.Equal(TcpState.Established, h.State(s));
        Assert.Equal(0, h.Readable(s));
        h.SendData(TcpHarness.Bytes(10, 9));
        h.AdvanceMs(40);
        Assert.Equal(h.PeerNxt, h.Single().Ack);
        Assert.Equal(TcpHarness.Bytes(10, 9), h.ReadAvailable(s));
    }

    private static byte[] ValidData(TcpHarness h, byte[]? options = null, int? dataOffsetWords = null) =>
        h.Build(h.PeerNxt, h.PeerAck, TcpFlags.Ack | TcpFlags.Psh, 65535,
            options ?? TcpHarness.Encode(h.DefaultOptions()), TcpHarness.Bytes(10), dataOffsetWords: dataOffsetWords);

    [Fact]
    public async Task Malformed_BadChecksum_CountedDropped()
    {
        var (h, s) = await Established();
        await using var _ = h;
        var p = ValidData(h);
        p[^1] ^= 0x40;
        h.Inject(p);
        Assert.Equal(1, h.Stack.Metrics.Drops(DropReason.BadChecksum));
        AssertUndisturbed(h, s);
    }

    [Theory]
    [InlineData(4)]   // 16 bytes: shorter than the fixed header
    [InlineData(15)]  // 60 bytes: longer than the segment
    [InlineData(0)]
    public async Task Malformed_BadDataOffset_CountedDropped(int words)
    {
        var (h, s) = await Established();
        await using var _ = h;
        var opts = new byte[0];
        h.Inject(ValidData(h, opts, words));
        Assert.Equal(1, h.Stack.Metrics.Drops(DropReason.BadHeaderLength));
        AssertUndisturbed(h, s);
    }

    [Theory]
    [InlineData(new byte[] { 8, 3, 0, 0 })]                             // timestamps with the wrong length
    [InlineData(new byte[] { 2, 0, 0, 0 })]                             // length 0
    [InlineData(new byte[] { 2, 1, 0, 0 })]                             // length 1
    [InlineData(new byte[] { 1, 1, 3, 10 })]                            // runs past the options area
    [InlineData(new byte[] { 1, 1, 1, 5 })]                             // kind without room for a length
    [InlineData(new byte[] { 5, 6, 0, 0, 0, 0, 1, 1 })]                 // SACK not a multiple of 8
    [InlineData(new byte[] { 2, 5, 5, 0x64, 0, 1, 1, 1 })]              // MSS with length 5
    public async Task Malformed_BadOptionLength_CountedDropped(byte[] options)
    {
        var (h, s) = await Established();
        await using var _ = h;
        h.Inject(ValidData(h, options));
        Assert.Equal(1, h.Stack.Metrics.Drops(DropReason.BadOption));
        AssertUndisturbed(h, s);
    }

    [Fact]
    public async Task Malformed_Truncated_CountedDropped()
    {
        var (h, s) = await Established();
        await using var _ = h;
        var p = ValidData(h);
        var cut = p[..(20 + 12)];
        BinaryPrimitives.WriteUInt16BigEndian(cut.AsSpan(2), (ushort)cut.Length);
        cut[10] = 0;
        cut[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(cut.AsSpan(10), InternetChecksum.Compute(cut.AsSpan(0, 20)));
        h.Inject(cut);
        Assert.Equal(1, h.Stack.Metrics.Drops(DropReason.Truncated));
        AssertUndisturbed(h, s);
    }

    [Fact]
    public async Task UnknownOption_Skipped()
    {
        var (h, s) = await Established();
        await using var _ = h;
        var ts = TcpHarness.Encode(h.DefaultOptions());
        byte[] opts = [.. ts, 30, 4, 0xAB, 0xCD];
        h.Inject(ValidData(h, opts));
        h.PeerNxt += 10;
        Assert.Equal(10, h.Readable(s));
        Assert.Equal(0, h.Stack.Metrics.TotalDrops);
    }
}
