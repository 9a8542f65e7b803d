using Smolmix.Tcp;
using Smolmix.Wire;

namespace Smolmix.Tests.TcpSegments;

public class CloseTests
{
    private static async Task<int> ReadNow(TcpStream s)
    {
        var t = s.ReadAsync(new byte[100]).AsTask();
        return await t.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task ShutdownWrite_FinAfterData_ReadsContinueUntilPeerFin()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync();
        h.Write(s, TcpHarness.Bytes(100));
        var data = h.Single();
        s.ShutdownWrite();
        var fin = h.Single();
        Assert.Equal(TcpFlags.Fin | TcpFlags.Ack, fin.Flags);
        Assert.Equal(data.Seq + 100, fin.Seq);
        Assert.Empty(fin.Payload);
        Assert.Equal(TcpState.FinWait1, h.State(s));
        await Assert.ThrowsAsync<IOException>(async () => await s.WriteAsync(new byte[1]));
        h.AdvanceMs(100);
        h.SendAck(fin.Seq + 1);
        Assert.Equal(TcpState.FinWait2, h.State(s));
        // The peer keeps sending; we keep reading.
        h.SendData(TcpHarness.Bytes(50));
        Assert.Equal(TcpHarness.Bytes(50), h.ReadAvailable(s));
        h.SendFin();
        var ack = h.Single();
        Assert.Equal(TcpFlags.Ack, ack.Flags);
        Assert.Equal(fin.Seq + 1, ack.Seq);
        Assert.Equal(h.PeerNxt, ack.Ack);
        Assert.Equal(TcpState.TimeWait, h.State(s));
        Assert.Equal(0, await ReadNow(s));
        h.Advance(h.Options.TimeWait);
        Assert.Equal(0, h.Stack.ConnectionCount);
        h.Silent();
    }

    [Fact]
    public async Task ShutdownWrite_FinPiggybackedOnQueuedData()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync(synAckWindow: 0);
        h.Write(s, TcpHarness.Bytes(100));
        s.ShutdownWrite();
        h.Silent(); // zero window
        h.SendAck(h.OurIss + 1, window: 1000);
        var seg = h.Single();
        Assert.Equal(TcpFlags.Fin | TcpFlags.Ack | TcpFlags.Psh, seg.Flags);
        Assert.Equal(100, seg.Len);
    }

    [Fact]
    public async Task PeerFin_ReadReturnsZero_ThenOurCloseGoesThroughLastAck()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync();
        h.SendData(TcpHarness.Bytes(30));
        h.SendFin();
        var ack = h.Single();
        Assert.Equal(h.PeerNxt, ack.Ack); // data and FIN acknowledged at once
        Assert.Equal(TcpState.CloseWait, h.State(s));
        Assert.Equal(TcpHarness.Bytes(30), h.ReadAvailable(s));
        Assert.Equal(0, await ReadNow(s));
        Assert.Equal(0, await ReadNow(s));
        // Writing is still allowed in CLOSE-WAIT.
        h.Write(s, TcpHarness.Bytes(10));
        var d = h.Single();
        Assert.Equal(10, d.Len);
        s.Dispose();
        var fin = h.Single();
        Assert.Equal(TcpFlags.Fin | TcpFlags.Ack, fin.Flags);
        Assert.Equal(d.Seq + 10, fin.Seq);
        Assert.Equal(TcpState.LastAck, TcpHarness.Conn(s).State);
        h.SendAck(fin.Seq + 1);
        Assert.Equal(0, h.Stack.ConnectionCount);
        h.Silent();
    }

    [Fact]
    public async Task PeerFin_OutOfOrder_ConsumedWhenHoleFilled()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync();
        uint b = h.PeerNxt;
        h.Send(b + 100, h.PeerAck, TcpFlags.Ack | TcpFlags.Fin, null, h.DefaultOptions(), TcpHarness.Bytes(100, 2));
        var dup = h.Single();
        Assert.Equal(b, dup.Ack);
        Assert.Equal(TcpState.Established, h.State(s));
        h.SendData(TcpHarness.Bytes(100, 1), seq: b);
        var ack = h.Single();
        Assert.Equal(b + 201, ack.Ack);
        Assert.Equal(TcpState.CloseWait, h.State(s));
        Assert.Equal([.. TcpHarness.Bytes(100, 1), .. TcpHarness.Bytes(100, 2)], h.ReadAvailable(s));
        Assert.Equal(0, await ReadNow(s));
    }

    [Fact]
    public async Task Close_WithUnreadData_SendsRst()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync();
        h.SendData(TcpHarness.Bytes(100));
        h.AdvanceMs(40);
        h.Drain();
        s.Dispose();
        var rst = h.Single();
        Assert.Equal(TcpFlags.Rst | TcpFlags.Ack, rst.Flags);
        Assert.Equal(h.OurIss + 1, rst.Seq);
        Assert.Equal(h.PeerNxt, rst.Ack);
        Assert.Equal(0, h.Stack.ConnectionCount);
    }

    [Fact]
    public async Task Abort_SendsRst()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync();
        h.Write(s, TcpHarness.Bytes(10));
        h.Drain();
        s.Abort();
        var rst = h.Single();
        Assert.Equal(TcpFlags.Rst | TcpFlags.Ack, rst.Flags);
        Assert.Equal(h.OurIss + 11, rst.Seq);
        Assert.Equal(h.PeerNxt, rst.Ack);
        Assert.Equal(0, h.Stack.ConnectionCount);
        h.Advance(TimeSpan.FromSeconds(5));
        h.Silent(); // no retransmission after the abort
    }

    [Fact]
    public async Task Close_Graceful_FinWait2TimesOutWhenPeerNeverCloses()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync();
        s.Dispose();
        var fin = h.Single();
        Assert.True(fin.Fin);
        h.SendAck(fin.Seq + 1);
        Assert.Equal(TcpState.FinWait2, h.OnlyConnection()!.State);
        // Data arriving after the application is gone is acknowledged and discarded.
        h.SendData(TcpHarness.Bytes(10));
        var a = h.Single();
        Assert.Equal(h.PeerNxt, a.Ack);
        h.Advance(h.Options.FinWait2Timeout - TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, h.Stack.ConnectionCount);
        h.AdvanceMs(1);
        Assert.Equal(0, h.Stack.ConnectionCount);
    }

    private static async Task<(TcpHarness H, TcpStream S, Seg Fin)> InTimeWait()
    {
        var h = new TcpHarness();
        var s = await h.ConnectAsync();
        s.ShutdownWrite();
        var fin = h.Single();
        h.AdvanceMs(100);
        h.SendAck(fin.Seq + 1);
        h.SendFin();
        h.Single();
        Assert.Equal(TcpState.TimeWait, h.State(s));
        return (h, s, fin);
    }

    [Fact]
    public async Task TimeWait_RetransmittedFinReAcked_TimerRestarted()
    {
        var (h, s, fin) = await InTimeWait();
        await using var _ = h;
        h.Advance(TimeSpan.FromSeconds(20));
        h.Send(h.PeerNxt - 1, fin.Seq + 1, TcpFlags.Fin | TcpFlags.Ack);
        var ack = h.Single();
        Assert.Equal(TcpFlags.Ack, ack.Flags);
        Assert.Equal(fin.Seq + 1, ack.Seq);
        Assert.Equal(h.PeerNxt, ack.Ack);
        h.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(TcpState.TimeWait, h.State(s));
        Assert.Equal(1, h.Stack.ConnectionCount);
        h.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(0, h.Stack.ConnectionCount);
    }

    [Fact]
    public async Task TimeWait_RstIgnored_Rfc1337()
    {
        var (h, s, fin) = await InTimeWait();
        await using var _ = h;
        h.Advance(TimeSpan.FromSeconds(1));
        h.Send(h.PeerNxt, fin.Seq + 1, TcpFlags.Rst | TcpFlags.Ack, 0, TcpOptions.Empty);
        h.Silent();
        Assert.Equal(TcpState.TimeWait, h.State(s));
        Assert.Equal(1, h.Stack.ConnectionCount);
        h.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(0, h.Stack.ConnectionCount);
    }

    [Fact]
    public async Task SimultaneousClose_FinCrossingFin_ClosingThenTimeWait()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync();
        s.ShutdownWrite();
        var fin = h.Single();
        Assert.Equal(TcpState.FinWait1, h.State(s));
        // The peer's FIN crosses ours: it does not acknowledge our FIN yet.
        h.AdvanceMs(50);
        h.SendFin();
        var ack = h.Single();
        Assert.Equal(TcpFlags.Ack, ack.Flags);
        Assert.Equal(fin.Seq + 1, ack.Seq);
        Assert.Equal(h.PeerNxt, ack.Ack);
        Assert.Equal(TcpState.Closing, h.State(s));
        Assert.Equal(0, await ReadNow(s));
        // Now its ACK of our FIN arrives.
        h.AdvanceMs(50);
        h.SendAck(fin.Seq + 1);
        h.Silent();
        Assert.Equal(TcpState.TimeWait, h.State(s));
        h.Advance(h.Options.TimeWait - TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, h.Stack.ConnectionCount);
        h.AdvanceMs(1);
        Assert.Equal(0, h.Stack.ConnectionCount);
        h.Silent();
    }

    [Fact]
    public async Task Closing_OurFinRetransmittedUntilAcked()
    {
        await using var h = new TcpHarness(o => o.PathModel = false);
        var s = await h.ConnectAsync(h.SynOptions(sack: false));
        s.ShutdownWrite();
        var fin = h.Single();
        h.SendFin();
        h.Single();
        Assert.Equal(TcpState.Closing, h.State(s));
        var (after, r) = h.AdvanceUntilOutput(TimeSpan.FromSeconds(5));
        Assert.Equal(1.0, after.TotalSeconds);
        var again = Assert.Single(r);
        Assert.Equal(fin.Seq, again.Seq);
        Assert.True(again.Fin);
    }
}
