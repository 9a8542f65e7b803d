using System.Net.Sockets;
using Smolmix.Tcp;
using Smolmix.Wire;

namespace Smolmix.Tests.TcpSegments;

/// <summary>RFC 5961 (blind in-window attacks) and RFC 7323 PAWS.</summary>
public class ValidationTests
{
    private static void AssertChallengeAck(TcpHarness h, Seg a)
    {
        Assert.Equal(TcpFlags.Ack, a.Flags);
        Assert.Equal(h.OurMax, a.Seq);
        Assert.Equal(h.PeerNxt, a.Ack);
        Assert.Empty(a.Payload);
    }

    [Fact]
    public async Task InWindowRst_WrongSeq_ChallengeAck_ConnectionSurvives()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync();
        h.Send(h.PeerNxt + 100, 0, TcpFlags.Rst, 0, TcpOptions.Empty);
        AssertChallengeAck(h, h.Single());
        h.Send(h.PeerNxt + 1, h.PeerAck, TcpFlags.Rst | TcpFlags.Ack, 0, TcpOptions.Empty);
        AssertChallengeAck(h, h.Single());
        Assert.Equal(TcpState.Established, h.State(s));
        h.SendData(TcpHarness.Bytes(10));
        Assert.Equal(TcpHarness.Bytes(10), h.ReadAvailable(s));
    }

    [Fact]
    public async Task OutOfWindowRst_SilentlyDropped()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync();
        h.Send(h.PeerNxt + 100_000_000, 0, TcpFlags.Rst, 0, TcpOptions.Empty);
        h.Send(h.PeerNxt - 1, 0, TcpFlags.Rst, 0, TcpOptions.Empty);
        h.Silent();
        Assert.Equal(TcpState.Established, h.State(s));
    }

    [Fact]
    public async Task ExactRst_ResetsConnection_ReadsAndWritesThrowConnectionReset()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync();
        h.Send(h.PeerNxt, 0, TcpFlags.Rst, 0, TcpOptions.Empty);
        h.Silent();
        Assert.Equal(TcpState.Closed, h.State(s));
        Assert.Equal(0, h.Stack.ConnectionCount);
        var rex = await Assert.ThrowsAsync<IOException>(async () => _ = await s.ReadAsync(new byte[10]));
        Assert.Equal(SocketError.ConnectionReset, Assert.IsType<SocketException>(rex.InnerException).SocketErrorCode);
        var wex = await Assert.ThrowsAsync<IOException>(async () => await s.WriteAsync(new byte[10]));
        Assert.Equal(SocketError.ConnectionReset, Assert.IsType<SocketException>(wex.InnerException).SocketErrorCode);
    }

    [Fact]
    public async Task ExactRst_WakesPendingRead()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync();
        var read = s.ReadAsync(new byte[10]).AsTask();
        Assert.False(read.IsCompleted);
        h.Send(h.PeerNxt, h.PeerAck, TcpFlags.Rst | TcpFlags.Ack, 0, TcpOptions.Empty);
        var ex = await Assert.ThrowsAsync<IOException>(() => read.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(SocketError.ConnectionReset, Assert.IsType<SocketException>(ex.InnerException).SocketErrorCode);
    }

    [Fact]
    public async Task SynOnEstablished_ChallengeAck()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync();
        h.Send(h.PeerNxt + 10, 0, TcpFlags.Syn, 65535, h.SynOptions()); // in window
        AssertChallengeAck(h, h.Single());
        h.Send(h.PeerIss, 0, TcpFlags.Syn, 65535, h.SynOptions());      // the old SYN again
        AssertChallengeAck(h, h.Single());
        h.Send(h.PeerNxt, h.PeerAck, TcpFlags.Syn | TcpFlags.Ack, 65535, h.SynOptions());
        AssertChallengeAck(h, h.Single());
        Assert.Equal(TcpState.Established, h.State(s));
        h.SendData(TcpHarness.Bytes(10));
        Assert.Equal(TcpHarness.Bytes(10), h.ReadAvailable(s));
    }

    [Fact]
    public async Task AckForUnsentData_AckAndDrop()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync();
        uint b = h.PeerNxt;
        h.Write(s, TcpHarness.Bytes(100));
        h.Drain();
        h.SendData(TcpHarness.Bytes(50), ack: h.OurIss + 1 + 5000);
        var a = h.Single();
        Assert.Equal(TcpFlags.Ack, a.Flags);
        Assert.Equal(b, a.Ack);         // the data was dropped
        Assert.Equal(0, h.Readable(s));
        Assert.Equal(100, TcpHarness.Conn(s).UnacknowledgedBytes);
        Assert.Equal(TcpState.Established, h.State(s));
    }

    [Fact]
    public async Task AckTooOld_AckAndDrop()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync(synAckWindow: 1000);
        uint b = h.PeerNxt;
        // SND.UNA − MAX.SND.WND is 1000 bytes back: an ACK far older than that is ignored (RFC 5961 §5).
        h.SendData(TcpHarness.Bytes(50), ack: h.OurIss + 1 - 100_000);
        var a = h.Single();
        Assert.Equal(b, a.Ack);
        Assert.Equal(0, h.Readable(s));
    }

    [Fact]
    public async Task Paws_OldDataSegmentDroppedWithAck()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync();
        uint b = h.PeerNxt;
        h.AdvanceMs(5);
        uint recent = h.PeerTsNow;
        h.SendData(TcpHarness.Bytes(10), tsVal: recent);
        h.AdvanceMs(40);
        h.Drain();
        long drops = h.Stack.Metrics.Drops(DropReason.TcpUnacceptable);
        h.SendData(TcpHarness.Bytes(20, 1), seq: b + 10, tsVal: recent - 100_000);
        var a = h.Single();
        Assert.Equal(TcpFlags.Ack, a.Flags);
        Assert.Equal(b + 10, a.Ack);
        Assert.Equal(recent, a.Options.TsEcr);
        Assert.Equal(drops + 1, h.Stack.Metrics.Drops(DropReason.TcpUnacceptable));
        Assert.Equal(10, h.Readable(s));
    }

    [Fact]
    public async Task Paws_SlightlyOlderTimestamp_StillAccepted()
    {
        // The mixnet reorders by hundreds of ms: a TSval 150 ms behind TS.Recent is not "old".
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync();
        uint b = h.PeerNxt;
        h.AdvanceMs(500);
        uint recent = h.PeerTsNow;
        h.SendData(TcpHarness.Bytes(10), tsVal: recent);
        h.SendData(TcpHarness.Bytes(20, 1), seq: b + 10, tsVal: recent - 150);
        Assert.Equal(b + 30, h.Single().Ack);
        Assert.Equal(30, h.Readable(s));
    }

    [Fact]
    public async Task Paws_ReorderedPureAckWithOlderTsval_ProcessedWithoutReply()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync();
        h.AdvanceMs(5);
        uint recent = h.PeerTsNow;
        h.SendData(TcpHarness.Bytes(10), tsVal: recent);
        h.AdvanceMs(40);
        h.Drain();
        h.Write(s, TcpHarness.Bytes(1000));
        h.Drain();
        h.AdvanceMs(100);
        h.SendAck(h.OurIss + 1001, tsVal: recent - 100_000);
        h.Silent();
        Assert.Equal(0, TcpHarness.Conn(s).UnacknowledgedBytes);
    }

    [Fact]
    public async Task Paws_RstWithOldTimestamp_StillResets()
    {
        // RFC 7323 §5.2: RSTs are exempt from PAWS (they may come from a host that lost its clock).
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync();
        var o = h.DefaultOptions(tsVal: 1);
        h.Send(h.PeerNxt, h.PeerAck, TcpFlags.Rst | TcpFlags.Ack, 0, o);
        Assert.Equal(TcpState.Closed, h.State(s));
    }
}
