using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Smolmix.Nym;
using Xunit.Abstractions;

namespace Smolmix.Tests.Tunnel;

public sealed class TunnelLifecycleTests(ITestOutputHelper output)
{
    private static readonly IPEndPoint Server = new(IPAddress.Parse("192.0.2.7"), 7);

    [Fact]
    public async Task ATunnelLeftIdleForFiveMinutesStillCarriesTraffic()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var net = new FakeMixnet(time);
        FakeInternetExit exit = net.AddExit(10);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        InternetServers.StartTcp(exit.Internet, cts.Token);
        await using Smolmix.Tunnel tunnel = await time.DriveAsync(Smolmix.Tunnel.ConnectAsync(net.Options(exit), cts.Token));
        var changes = new ConcurrentQueue<TunnelStateChangedEventArgs>();
        tunnel.StateChanged += (_, e) => changes.Enqueue(e);

        TcpStream stream = await time.DriveAsync(tunnel.ConnectTcpAsync(Server, cts.Token));
        await EchoAsync(time, stream, "before", cts.Token);

        await time.PassAsync(TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(1));

        Assert.Equal(TunnelState.Ready, tunnel.State);
        Assert.Empty(changes);
        Assert.Equal(0, exit.InactivityDrops);
        Assert.Equal(tunnel.IPv4Address, exit.ClientIpv4);
        Assert.InRange(tunnel.Metrics.KeepAlivesSent, 10, 16); // one per ~21 s of idle
        Assert.InRange(exit.MaxDataGap, TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(40)); // ~21 s; slack for a loaded machine, where the fake clock outruns the I/O
        await EchoAsync(time, stream, "after five idle minutes", cts.Token);
        await using TcpStream fresh = await time.DriveAsync(tunnel.ConnectTcpAsync(Server, cts.Token));
        await EchoAsync(time, fresh, "and a new connection", cts.Token);
        output.WriteLine($"5 idle minutes: {tunnel.Metrics.KeepAlivesSent} keepalives, longest gap between data packets {exit.MaxDataGap.TotalSeconds:0.0} s, {exit.InactivityDrops} inactivity drops at the exit, state {tunnel.State}.");
        await stream.DisposeAsync();
    }

    [Fact]
    public async Task TheFakeExitDropsAClientAfterSixtySecondsWithoutData()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var net = new FakeMixnet(time);
        FakeInternetExit exit = net.AddExit(9);
        await using var connection = await NymClientConnection.ConnectAsync(net.Server.Options(), time);
        await using IprSession session = await IprSession.ConnectAsync(connection, exit.Address, new IprSessionOptions { Versions = [9] }, time).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(exit.ClientIpv4);

        for (int i = 0; i < 8; i++)
        {
            await session.PingAsync().WaitAsync(TimeSpan.FromSeconds(10)); // pings do not count as activity
            await time.PassAsync(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1));
        }

        Assert.Null(exit.ClientIpv4);
        Assert.Equal(1, exit.InactivityDrops);
    }

    [Theory]
    [InlineData(5, 10)]
    [InlineData(20, 30)] // the defaults
    public async Task WhenTheExitDiesTheTunnelFailsOverToTheNextExit(int keepAliveSeconds, int livenessSeconds)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var net = new FakeMixnet(time);
        FakeInternetExit first = net.AddExit(10);
        FakeInternetExit second = net.AddExit(9);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        InternetServers.StartTcp(first.Internet, cts.Token);
        InternetServers.StartTcp(second.Internet, cts.Token);
        TunnelOptions options = net.Options(first, second);
        options.KeepAliveInterval = TimeSpan.FromSeconds(keepAliveSeconds);
        options.LivenessTimeout = TimeSpan.FromSeconds(livenessSeconds);
        await using Smolmix.Tunnel tunnel = await time.DriveAsync(Smolmix.Tunnel.ConnectAsync(options, cts.Token));
        var changes = new ConcurrentQueue<TunnelStateChangedEventArgs>();
        tunnel.StateChanged += (_, e) => changes.Enqueue(e);
        Assert.Equal(first.Address.ToString(), tunnel.Exit);
        Assert.Equal(10, tunnel.ProtocolVersion);

        TcpStream old = await time.DriveAsync(tunnel.ConnectTcpAsync(Server, cts.Token));
        await EchoAsync(time, old, "via the first exit", cts.Token);
        Task<int> pendingRead = old.ReadAsync(new byte[16], cts.Token).AsTask();

        first.Kill();
        Task<TcpStream> connectingDuringLoss = tunnel.ConnectTcpAsync(Server, cts.Token); // its SYNs go nowhere
        TimeSpan detected = await time.DriveUntilAsync(() => tunnel.State != TunnelState.Ready, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(90));
        TimeSpan recovered = detected + await time.DriveUntilAsync(() => tunnel.State == TunnelState.Ready, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(60));
        output.WriteLine($"Exit killed: left Ready after {detected.TotalSeconds:0.0} s, Ready on the second exit after {recovered.TotalSeconds:0.0} s (fake time; keepalive {keepAliveSeconds} s, liveness {livenessSeconds} s).");

        Assert.InRange(detected, TimeSpan.Zero, options.KeepAliveInterval + options.LivenessTimeout + TimeSpan.FromSeconds(2));
        Assert.Equal(second.Address.ToString(), tunnel.Exit);
        Assert.Equal(9, tunnel.ProtocolVersion);
        Assert.Equal(second.ClientIpv4, tunnel.IPv4Address);
        Assert.Equal([TunnelState.Reconnecting, TunnelState.Ready], changes.Select(c => c.State));
        Assert.Equal(1, tunnel.Metrics.Reconnects);

        // The old connection fails promptly with a clear error instead of hanging.
        IOException failure = await Assert.ThrowsAsync<IOException>(() => pendingRead.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(System.Net.Sockets.SocketError.ConnectionAborted, Assert.IsType<System.Net.Sockets.SocketException>(failure.InnerException).SocketErrorCode);
        await Assert.ThrowsAsync<IOException>(() => old.WriteAsync(new byte[] { 1 }, cts.Token).AsTask());

        // New connections go through the second exit; one that was under way when the first died is retried there.
        await using TcpStream fresh = await time.DriveAsync(tunnel.ConnectTcpAsync(Server, cts.Token));
        await EchoAsync(time, fresh, "via the second exit", cts.Token);
        await using TcpStream retried = await time.DriveAsync(connectingDuringLoss);
        Assert.Equal(second.ClientIpv4, retried.LocalEndPoint.Address);
        await EchoAsync(time, retried, "retried on the second exit", cts.Token);
    }

    [Fact]
    public async Task WithNoExitLeftTheTunnelFailsAndSaysSo()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var net = new FakeMixnet(time);
        FakeInternetExit only = net.AddExit(10);
        TunnelOptions options = net.Options(only);
        options.KeepAliveInterval = TimeSpan.FromSeconds(5);
        options.LivenessTimeout = TimeSpan.FromSeconds(10);
        options.Reconnect.MaxRounds = 2;
        await using Smolmix.Tunnel tunnel = await time.DriveAsync(Smolmix.Tunnel.ConnectAsync(options));
        var changes = new ConcurrentQueue<TunnelStateChangedEventArgs>();
        tunnel.StateChanged += (_, e) => changes.Enqueue(e);

        only.Kill();
        await time.DriveUntilAsync(() => tunnel.State == TunnelState.Failed, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(2));
        Assert.Equal([TunnelState.Reconnecting, TunnelState.Failed], changes.Select(c => c.State));
        Assert.NotNull(changes.Last().Exception);
        TunnelException failure = await Assert.ThrowsAsync<TunnelException>(() => tunnel.ConnectTcpAsync(Server));
        Assert.Equal(TunnelFailureReason.ReconnectGaveUp, failure.Reason);
        Assert.NotNull(failure.InnerException);
        Assert.IsType<TunnelException>(changes.Last().Exception);
        Assert.Throws<InvalidOperationException>(() => tunnel.BindUdp());
        await Assert.ThrowsAsync<TunnelException>(() => tunnel.BindUdpAsync().AsTask());
    }

    [Fact]
    public async Task ALostNymClientIsReconnected()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var net = new FakeMixnet(time);
        FakeInternetExit exit = net.AddExit(10);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        InternetServers.StartTcp(exit.Internet, cts.Token);
        await using Smolmix.Tunnel tunnel = await time.DriveAsync(Smolmix.Tunnel.ConnectAsync(net.Options(exit), cts.Token));
        IPAddress before = tunnel.IPv4Address;

        net.Server.RejectConnections = true;
        net.Server.DropConnection();
        await time.DriveUntilAsync(() => tunnel.State == TunnelState.Reconnecting, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(1));
        Task<UdpSocket> bind = tunnel.BindUdpAsync(0, cts.Token).AsTask(); // waits for Ready instead of throwing
        Assert.False(bind.IsCompleted);
        net.Server.RejectConnections = false;
        await time.DriveUntilAsync(() => tunnel.State == TunnelState.Ready, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(2));
        using UdpSocket udp = await time.DriveAsync(bind);
        Assert.Equal(tunnel.IPv4Address, ((IVirtualNetwork)tunnel).IPv4Address);

        Assert.NotEqual(before, tunnel.IPv4Address); // a new stream connect gets new addresses
        await using TcpStream stream = await time.DriveAsync(tunnel.ConnectTcpAsync(Server, cts.Token));
        await EchoAsync(time, stream, "after nym-client came back", cts.Token);
    }

    [Fact]
    public async Task AnExitThatEndsTheSessionIsReconnected()
    {
        await using var net = new FakeMixnet();
        FakeInternetExit exit = net.AddExit(10);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        InternetServers.StartTcp(exit.Internet, cts.Token);
        await using Smolmix.Tunnel tunnel = await Smolmix.Tunnel.ConnectAsync(net.Options(exit), cts.Token);
        var changes = new ConcurrentQueue<TunnelStateChangedEventArgs>();
        tunnel.StateChanged += (_, e) => changes.Enqueue(e);
        IPAddress before = tunnel.IPv4Address;

        await exit.DisconnectClientAsync();
        while (changes.Count < 2)
        {
            await Task.Delay(10, cts.Token);
        }

        Assert.Equal([TunnelState.Reconnecting, TunnelState.Ready], changes.Select(c => c.State));
        Assert.IsType<IOException>(changes.First().Exception);
        Assert.NotEqual(before, tunnel.IPv4Address);
        Assert.Equal(exit.ClientIpv4, tunnel.IPv4Address);
        await using TcpStream stream = await tunnel.ConnectTcpAsync(Server, cts.Token);
        await stream.WriteAsync(Encoding.ASCII.GetBytes("hi"), cts.Token);
        var two = new byte[2];
        await stream.ReadExactlyAsync(two, cts.Token);
        Assert.Equal("hi", Encoding.ASCII.GetString(two));
    }

    [Fact]
    public async Task DisposeDisconnectsFromTheExitAndCloses()
    {
        await using var net = new FakeMixnet();
        FakeInternetExit exit = net.AddExit(10);
        Smolmix.Tunnel tunnel = await Smolmix.Tunnel.ConnectAsync(net.Options(exit));
        var changes = new ConcurrentQueue<TunnelStateChangedEventArgs>();
        tunnel.StateChanged += (_, e) => changes.Enqueue(e);
        await tunnel.DisposeAsync();

        Assert.Equal(TunnelState.Closed, tunnel.State);
        Assert.Equal(1, exit.Disconnects);
        Assert.Null(exit.ClientIpv4);
        Assert.Equal([TunnelState.Closed], changes.Select(c => c.State));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => tunnel.ConnectTcpAsync(Server));
        await tunnel.DisposeAsync();
    }

    [Fact]
    public async Task ConnectFailsOverWhenTheFirstExitDoesNotAnswer()
    {
        await using var net = new FakeMixnet();
        FakeInternetExit dead = net.AddExit(10);
        FakeInternetExit live = net.AddExit(10);
        dead.Kill();
        await using Smolmix.Tunnel tunnel = await Smolmix.Tunnel.ConnectAsync(net.Options(dead, live));
        Assert.Equal(live.Address.ToString(), tunnel.Exit);
        Assert.Equal(1, tunnel.Metrics.ExitConnectFailures);
    }

    [Fact]
    public async Task ConnectTimesOutWhenNoExitAnswers()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var net = new FakeMixnet(time);
        FakeInternetExit dead = net.AddExit(10);
        dead.Kill();
        TunnelOptions options = net.Options(dead);
        options.ConnectTimeout = TimeSpan.FromSeconds(30);
        Task<Smolmix.Tunnel> connecting = Smolmix.Tunnel.ConnectAsync(options);
        TunnelException failure = await Assert.ThrowsAsync<TunnelException>(() => time.DriveAsync(connecting, TimeSpan.FromMilliseconds(100)));
        Assert.Equal(TunnelFailureReason.NoExitAnswered, failure.Reason);
        Assert.IsType<TimeoutException>(failure.InnerException); // the exit's: no version answered
        output.WriteLine($"A dead exit: {failure.Reason}: {failure.Message}");
    }

    private static async Task EchoAsync(FakeTimeProvider time, TcpStream stream, string text, CancellationToken cancellationToken)
    {
        byte[] message = Encoding.UTF8.GetBytes(text);
        await time.DriveAsync(stream.WriteAsync(message, cancellationToken).AsTask());
        var received = new byte[message.Length];
        int total = 0;
        while (total < received.Length)
        {
            int n = await time.DriveAsync(stream.ReadAsync(received.AsMemory(total), cancellationToken).AsTask());
            Assert.NotEqual(0, n);
            total += n;
        }

        Assert.Equal(text, Encoding.UTF8.GetString(received));
    }
}
