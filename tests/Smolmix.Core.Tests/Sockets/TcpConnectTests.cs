using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Smolmix.Devices;
using Smolmix.Tests.Conformance;
using Smolmix.Wire;

namespace Smolmix.Tests.Sockets;

/// <summary>Connect and listen errors as .NET socket callers expect them.</summary>
public class TcpConnectTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Connect_NoListener_ConnectionRefusedQuickly(bool v6)
    {
        await using var p = StackPair.Create();
        var sw = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<SocketException>(() =>
            p.Client.ConnectTcpAsync(new IPEndPoint(v6 ? StackPair.ServerV6 : StackPair.ServerV4, 81), TimeSpan.FromSeconds(5)));
        Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(1), $"took {sw.Elapsed}");
        Assert.True(await TestUtil.EventuallyAsync(() => p.Client.ConnectionCount == 0, Bound));
    }

    [Fact]
    public async Task Connect_AddressNobodyOwns_TimesOutWithinTimeout()
    {
        await using var p = StackPair.Create();
        var timeout = TimeSpan.FromSeconds(2);
        var sw = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<SocketException>(() =>
            p.Client.ConnectTcpAsync(new IPEndPoint(IPAddress.Parse("10.0.0.99"), 80), timeout).WaitAsync(Bound));
        Assert.Equal(SocketError.TimedOut, e.SocketErrorCode);
        Assert.InRange(sw.Elapsed, timeout - TimeSpan.FromMilliseconds(100), timeout + TimeSpan.FromSeconds(1));
        Assert.True(p.Server.Metrics.Drops(DropReason.NotForUs) >= 1);
        Assert.Equal(0, p.Client.ConnectionCount);
    }

    [Fact]
    public async Task Connect_OverLinkThatDiscardsEverything_TimesOut()
    {
        // The client's outbound direction loses every packet.
        await using var p = StackPair.Create(wrapClientDevice: d => new ImpairmentDevice(d, new ImpairmentOptions { LossRate = 1.0, Seed = 1 }, null));
        using var listener = p.Server.Listen(80);
        var timeout = TimeSpan.FromSeconds(2);
        var sw = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<SocketException>(() =>
            p.Client.ConnectTcpAsync(new IPEndPoint(StackPair.ServerV4, 80), timeout).WaitAsync(Bound));
        Assert.Equal(SocketError.TimedOut, e.SocketErrorCode);
        Assert.InRange(sw.Elapsed, timeout - TimeSpan.FromMilliseconds(100), timeout + TimeSpan.FromSeconds(1));
        Assert.Equal(0, p.Client.ConnectionCount);
    }

    [Fact]
    public async Task Connect_SynRetriesExhausted_TimesOut()
    {
        var o = new StackOptions { SynRto = TimeSpan.FromMilliseconds(100), SynRetries = 2 };
        await using var p = StackPair.Create(o);
        var sw = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<SocketException>(() =>
            p.Client.ConnectTcpAsync(new IPEndPoint(IPAddress.Parse("10.0.0.99"), 80), TimeSpan.FromSeconds(30)).WaitAsync(Bound));
        Assert.Equal(SocketError.TimedOut, e.SocketErrorCode);
        // 100 + 200 + 400 ms of SYN timeouts.
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(3), $"took {sw.Elapsed}");
        Assert.Equal(0, p.Client.ConnectionCount);
    }

    [Fact]
    public async Task Connect_LostSynAck_RetransmittedSynIsAnsweredWithSynAck()
    {
        // The server would only repeat its SYN-ACK after 10 s; the client retransmits its SYN after 200 ms.
        // The retransmitted SYN must elicit a SYN-ACK (RFC 9293 §3.10.7.4; Linux tcp_check_req), not a bare ACK.
        int synAcksDropped = 0;
        bool DropFirstSynAck(ReadOnlyMemory<byte> packet)
        {
            var p = packet.Span;
            int tcp = (p[0] & 15) * 4;
            if (p[0] >> 4 == 4 && p[9] == 6 && (p[tcp + 13] & 0x12) == 0x12 && synAcksDropped == 0)
            {
                synAcksDropped++;
                return true;
            }
            return false;
        }
        await using var p = StackPair.Create(
            new StackOptions { SynRto = TimeSpan.FromMilliseconds(200) },
            new StackOptions { SynRto = TimeSpan.FromSeconds(10) },
            wrapClientDevice: d => new FilteringDevice(d, DropFirstSynAck));
        using var listener = p.Server.Listen(80);
        var sw = Stopwatch.StartNew();
        await using var c = await p.Client.ConnectTcpAsync(new IPEndPoint(StackPair.ServerV4, 80), TimeSpan.FromSeconds(20)).WaitAsync(Bound);
        Assert.Equal(1, synAcksDropped);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2), $"connected after {sw.Elapsed}");
        using var cts = new CancellationTokenSource(Bound);
        await using var s = await listener.AcceptAsync(cts.Token);
    }

    [Fact]
    public async Task Connect_PreCancelledToken_ThrowsOce_NoConnectionLeaked()
    {
        await using var p = StackPair.Create();
        using var listener = p.Server.Listen(80);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            p.Client.ConnectTcpAsync(new IPEndPoint(StackPair.ServerV4, 80), null, new CancellationToken(true)));
        Assert.Equal(0, p.Client.ConnectionCount);
        Assert.Equal(0, p.Server.ConnectionCount);
    }

    [Fact]
    public async Task Connect_CancelledWhilePending_ThrowsOce_NoConnectionLeaked()
    {
        await using var p = StackPair.Create();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var sw = Stopwatch.StartNew();
        var connect = p.Client.ConnectTcpAsync(new IPEndPoint(IPAddress.Parse("10.0.0.99"), 80), TimeSpan.FromSeconds(30), cts.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connect.WaitAsync(Bound));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2), $"took {sw.Elapsed}");
        Assert.True(await TestUtil.EventuallyAsync(() => p.Client.ConnectionCount == 0, TimeSpan.FromSeconds(2)),
            $"{p.Client.ConnectionCount} connection(s) leaked");
    }

    [Fact]
    public async Task Connect_InvalidArguments()
    {
        await using var p = StackPair.Create(v6: false);
        await Assert.ThrowsAsync<ArgumentNullException>(() => p.Client.ConnectTcpAsync(null!));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => p.Client.ConnectTcpAsync(new IPEndPoint(StackPair.ServerV4, 0)));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => p.Client.ConnectTcpAsync(new IPEndPoint(IPAddress.Any, 80)));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => p.Client.ConnectTcpAsync(new IPEndPoint(IPAddress.Broadcast, 80)));
        var e = await Assert.ThrowsAsync<SocketException>(() => p.Client.ConnectTcpAsync(new IPEndPoint(StackPair.ServerV6, 80)));
        Assert.Equal(SocketError.AddressFamilyNotSupported, e.SocketErrorCode);
        Assert.Equal(0, p.Client.ConnectionCount);
    }

    [Fact]
    public async Task GracefulClose_LeavesNoConnections()
    {
        var o = new StackOptions { TimeWait = TimeSpan.Zero };
        await using var p = StackPair.Create(o, o);
        using var cts = new CancellationTokenSource(Bound);
        var (c, s) = await p.ConnectAsync(80, false, cts.Token);
        await c.WriteAsync(new byte[1000], cts.Token);
        await TestUtil.ReadExactlyAsync(s, 1000, cts.Token);
        c.Dispose();
        Assert.Equal(0, await s.ReadAsync(new byte[1], cts.Token));
        s.Dispose();
        Assert.True(await TestUtil.EventuallyAsync(() => p.Client.ConnectionCount == 0 && p.Server.ConnectionCount == 0, Bound),
            $"client {p.Client.ConnectionCount}, server {p.Server.ConnectionCount}");
    }

    [Fact]
    public async Task Listen_UsedPort_AddressAlreadyInUse_ReusableAfterDispose()
    {
        await using var p = StackPair.Create();
        var l = p.Server.Listen(8080);
        Assert.Equal(8080, l.Port);
        Assert.False(l.AnyAddress);
        Assert.Equal(SocketError.AddressAlreadyInUse, Assert.Throws<SocketException>(() => p.Server.Listen(8080)).SocketErrorCode);
        var any = p.Server.Listen(0, anyAddress: true);
        Assert.True(any.AnyAddress);
        Assert.Equal(SocketError.AddressAlreadyInUse, Assert.Throws<SocketException>(() => p.Server.Listen(0, anyAddress: true)).SocketErrorCode);
        Assert.Throws<ArgumentOutOfRangeException>(() => p.Server.Listen(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => p.Server.Listen(65536));
        l.Dispose();
        l.Dispose();
        any.Dispose();
        using var l2 = p.Server.Listen(8080);
        using var any2 = p.Server.Listen(0, anyAddress: true);
    }

    [Fact]
    public async Task Listener_Backlog_ExcessSynsDropped_ThenServedWhenRoom()
    {
        var clientOptions = new StackOptions { SynRto = TimeSpan.FromMilliseconds(100) };
        var serverOptions = new StackOptions { ListenBacklog = 2 };
        await using var p = StackPair.Create(clientOptions, serverOptions);
        using var cts = new CancellationTokenSource(Bound);
        using var listener = p.Server.Listen(80);
        var ep = new IPEndPoint(StackPair.ServerV4, 80);
        var c1 = await p.Client.ConnectTcpAsync(ep, TimeSpan.FromSeconds(5), cts.Token);
        var c2 = await p.Client.ConnectTcpAsync(ep, TimeSpan.FromSeconds(5), cts.Token);
        var c3 = p.Client.ConnectTcpAsync(ep, TimeSpan.FromSeconds(5), cts.Token);
        Assert.True(await TestUtil.EventuallyAsync(() => p.Server.Metrics.Drops(DropReason.QueueFull) >= 2, Bound), "SYNs beyond the backlog are dropped");
        Assert.False(c3.IsCompleted, "the third connection should wait: the backlog is full");

        var s1 = await listener.AcceptAsync(cts.Token);
        var third = await c3.WaitAsync(cts.Token); // a retransmitted SYN now finds room
        var s2 = await listener.AcceptAsync(cts.Token);
        var s3 = await listener.AcceptAsync(cts.Token);
        var ports = new[] { s1, s2, s3 }.Select(s => s.RemoteEndPoint.Port).Order().ToArray();
        Assert.Equal(new[] { c1, c2, third }.Select(c => c.LocalEndPoint.Port).Order().ToArray(), ports);
        foreach (var s in new[] { c1, c2, third, s1, s2, s3 })
        {
            await s.DisposeAsync();
        }
    }

    [Fact]
    public async Task ListenerDispose_ResetsUnaccepted_AndFailsAccept()
    {
        await using var p = StackPair.Create();
        using var cts = new CancellationTokenSource(Bound);
        var listener = p.Server.Listen(80);
        await using var c = await p.Client.ConnectTcpAsync(new IPEndPoint(StackPair.ServerV4, 80), TimeSpan.FromSeconds(5), cts.Token);
        var read = c.ReadAsync(new byte[1], cts.Token).AsTask();
        using var listener2 = p.Server.Listen(81);
        var pendingAccept = listener2.AcceptAsync(cts.Token).AsTask();
        listener.Dispose();
        var e = await Assert.ThrowsAsync<IOException>(() => read.WaitAsync(cts.Token));
        Assert.Equal(SocketError.ConnectionReset, TestUtil.SocketErrorOf(e));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await listener.AcceptAsync(cts.Token));
        listener2.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => pendingAccept.WaitAsync(cts.Token));
        // And the port now refuses.
        var r = await Assert.ThrowsAsync<SocketException>(() => p.Client.ConnectTcpAsync(new IPEndPoint(StackPair.ServerV4, 80), TimeSpan.FromSeconds(5), cts.Token));
        Assert.Equal(SocketError.ConnectionRefused, r.SocketErrorCode);
    }

    [Fact]
    public async Task AcceptAsync_Cancellation()
    {
        await using var p = StackPair.Create();
        using var listener = p.Server.Listen(80);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await listener.AcceptAsync(cts.Token));
        // Still usable.
        using var bound = new CancellationTokenSource(Bound);
        var accept = listener.AcceptAsync(bound.Token).AsTask();
        await using var c = await p.Client.ConnectTcpAsync(new IPEndPoint(StackPair.ServerV4, 80), TimeSpan.FromSeconds(5), bound.Token);
        await using var s = await accept.WaitAsync(bound.Token);
        Assert.Equal(c.LocalEndPoint, s.RemoteEndPoint);
    }

    [Theory]
    [InlineData("93.184.216.34", 443)]
    [InlineData("10.0.0.1", 22)]
    [InlineData("2001:db8::5", 8443)]
    public async Task AnyAddressListener_AcceptsArbitraryDestinations_ReportsThemAsLocalEndPoint(string address, int port)
    {
        await using var p = StackPair.Create();
        using var cts = new CancellationTokenSource(Bound);
        using var any = p.Server.Listen(0, anyAddress: true);
        using var specific = p.Server.Listen(80);
        var dest = new IPEndPoint(IPAddress.Parse(address), port);
        var accept = any.AcceptAsync(cts.Token).AsTask();
        await using var c = await p.Client.ConnectTcpAsync(dest, TimeSpan.FromSeconds(5), cts.Token);
        await using var s = await accept.WaitAsync(cts.Token);
        Assert.Equal(dest, s.LocalEndPoint);
        Assert.Equal(c.LocalEndPoint, s.RemoteEndPoint);
        Assert.Equal(dest, c.RemoteEndPoint);

        await c.WriteAsync("hello"u8.ToArray(), cts.Token);
        Assert.Equal("hello"u8.ToArray(), await TestUtil.ReadExactlyAsync(s, 5, cts.Token));
        await s.WriteAsync("world"u8.ToArray(), cts.Token);
        Assert.Equal("world"u8.ToArray(), await TestUtil.ReadExactlyAsync(c, 5, cts.Token));

        // A port with its own listener still goes to that listener.
        var acceptSpecific = specific.AcceptAsync(cts.Token).AsTask();
        await using var c2 = await p.Client.ConnectTcpAsync(new IPEndPoint(StackPair.ServerV4, 80), TimeSpan.FromSeconds(5), cts.Token);
        await using var s2 = await acceptSpecific.WaitAsync(cts.Token);
        Assert.Equal(new IPEndPoint(StackPair.ServerV4, 80), s2.LocalEndPoint);
    }
}
