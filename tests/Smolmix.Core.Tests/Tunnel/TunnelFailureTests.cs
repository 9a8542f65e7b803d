using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace Smolmix.Tests.Tunnel;

/// <summary>
/// What <see cref="Smolmix.Tunnel.ConnectAsync"/> throws and how fast, how the tunnel comes back after
/// nym-client returns, and that a misbehaving nym-client endpoint causes neither a reconnect storm
/// nor a log flood.
/// </summary>
public sealed class TunnelFailureTests(ITestOutputHelper output)
{
    [Fact]
    public async Task NothingListeningAtTheNymClientUriFailsInUnderThreeSecondsAndSaysSo()
    {
        int port = FreePort();
        var options = new TunnelOptions
        {
            NymClient = new Uri($"ws://127.0.0.1:{port}/"),
            Exits = [TestAddresses.Random().ToString()],
        };

        var watch = Stopwatch.StartNew();
        TunnelException failure = await Assert.ThrowsAsync<TunnelException>(() => Smolmix.Tunnel.ConnectAsync(options));
        watch.Stop();
        output.WriteLine($"Nothing at {options.NymClient}: {failure.Reason} after {watch.Elapsed.TotalMilliseconds:0} ms: {failure.Message}");

        Assert.Equal(TunnelFailureReason.NymClientUnreachable, failure.Reason);
        Assert.InRange(watch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(3));
        Assert.Contains("nym-client", failure.Message, StringComparison.Ordinal);
        Assert.Equal(SocketError.ConnectionRefused, Assert.IsType<SocketException>(Innermost(failure, e => e is SocketException)).SocketErrorCode);
    }

    [Fact]
    public async Task AWrongExitFailsWithADifferentReasonThanAMissingNymClient()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var net = new FakeMixnet(time);
        TunnelOptions options = net.Options();
        options.Exits = [TestAddresses.Random().ToString()]; // nobody answers at this address
        options.ConnectTimeout = TimeSpan.FromSeconds(30);
        TunnelException wrongExit = await Assert.ThrowsAsync<TunnelException>(() => time.DriveAsync(Smolmix.Tunnel.ConnectAsync(options), TimeSpan.FromMilliseconds(100)));

        var missing = new TunnelOptions { NymClient = new Uri($"ws://127.0.0.1:{FreePort()}/"), Exits = options.Exits };
        TunnelException noNymClient = await Assert.ThrowsAsync<TunnelException>(() => Smolmix.Tunnel.ConnectAsync(missing));

        output.WriteLine($"Wrong exit: {wrongExit.Reason}: {wrongExit.Message} (inner {wrongExit.InnerException?.GetType().Name})");
        output.WriteLine($"No nym-client: {noNymClient.Reason}: {noNymClient.Message} (inner {noNymClient.InnerException?.GetType().Name})");
        Assert.Equal(TunnelFailureReason.NoExitAnswered, wrongExit.Reason);
        Assert.IsType<TimeoutException>(wrongExit.InnerException);
        Assert.Equal(TunnelFailureReason.NymClientUnreachable, noNymClient.Reason);
        Assert.NotEqual(wrongExit.Message, noNymClient.Message);
    }

    [Fact]
    public async Task AnEndpointThatRefusesTheUpgradeFailsAtOnceAsAProtocolError()
    {
        await using var net = new FakeMixnet();
        net.Server.RejectConnections = true; // HTTP 503 instead of 101
        FakeInternetExit exit = net.AddExit(10);
        var watch = Stopwatch.StartNew();
        TunnelException failure = await Assert.ThrowsAsync<TunnelException>(() => Smolmix.Tunnel.ConnectAsync(net.Options(exit)));
        output.WriteLine($"503 at the nym-client URI: {failure.Reason} after {watch.Elapsed.TotalMilliseconds:0} ms: {failure.Message}");
        Assert.Equal(TunnelFailureReason.NymClientProtocolError, failure.Reason);
        Assert.IsType<System.Net.WebSockets.WebSocketException>(failure.InnerException);
        Assert.InRange(watch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task AnEndpointThatUpgradesAndSendsGarbageFailsTheFirstConnectAsAProtocolError()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var net = new FakeMixnet(time);
        net.Server.SendGarbageAfterUpgrade = true;
        FakeInternetExit exit = net.AddExit(10);
        TunnelException failure = await Assert.ThrowsAsync<TunnelException>(() => time.DriveAsync(Smolmix.Tunnel.ConnectAsync(net.Options(exit)), TimeSpan.FromMilliseconds(20)));
        output.WriteLine($"Garbage after the upgrade: {failure.Reason} after {net.Server.Upgrades} upgrades: {failure.Message}");
        Assert.Equal(TunnelFailureReason.NymClientProtocolError, failure.Reason);
        Assert.InRange(net.Server.Upgrades, 1, 6);
    }

    [Theory]
    [InlineData(90)]
    [InlineData(600)]
    public async Task AfterNymClientReturnsTheTunnelIsReadyWithinFiveSecondsWhateverTheOutage(int outageSeconds)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var net = new FakeMixnet(time);
        FakeInternetExit exit = net.AddExit(10);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        InternetServers.StartTcp(exit.Internet, cts.Token);
        using var logs = new CountingLoggerFactory { Time = time, Minimum = LogLevel.Debug };
        TunnelOptions options = net.Options(exit);
        options.LoggerFactory = logs;
        await using Smolmix.Tunnel tunnel = await time.DriveAsync(Smolmix.Tunnel.ConnectAsync(options, cts.Token));

        net.Server.StopListening(); // nym-client stops: connects are refused
        net.Server.DropConnection();
        TimeSpan detected = await time.DriveUntilAsync(() => tunnel.State != TunnelState.Ready, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(2));
        await time.PassAsync(TimeSpan.FromSeconds(outageSeconds) - detected, TimeSpan.FromMilliseconds(500));
        Assert.Equal(TunnelState.Reconnecting, tunnel.State);

        net.Server.ResumeListening();
        logs.Lines.Enqueue("--- nym-client is back");
        TimeSpan back;
        try
        {
            back = await time.DriveUntilAsync(() => tunnel.State == TunnelState.Ready, TimeSpan.FromMilliseconds(5), TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            foreach (string line in logs.Lines.TakeLast(40))
            {
                output.WriteLine(line);
            }

            throw;
        }

        output.WriteLine($"nym-client gone {outageSeconds} s (loss seen after {detected.TotalSeconds:0.0} s): Ready {back.TotalSeconds:0.00} s (virtual) after it came back; {tunnel.Metrics.ExitConnectFailures} exit connect failures counted.");
        Assert.InRange(back, TimeSpan.Zero, TimeSpan.FromSeconds(5));

        await using TcpStream stream = await time.DriveAsync(tunnel.ConnectTcpAsync(new IPEndPoint(IPAddress.Parse("192.0.2.7"), 7), cts.Token));
        await time.DriveAsync(stream.WriteAsync(new byte[] { 1, 2, 3 }, cts.Token).AsTask());
        var echo = new byte[3];
        await time.DriveAsync(stream.ReadExactlyAsync(echo, cts.Token).AsTask());
        Assert.Equal(new byte[] { 1, 2, 3 }, echo);
    }

    [Fact]
    public async Task AnEndpointThatUpgradesAndSendsGarbageGetsNoReconnectStormAndNoLogFlood()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var logs = new CountingLoggerFactory();
        await using var net = new FakeMixnet(time);
        FakeInternetExit exit = net.AddExit(10);
        TunnelOptions options = net.Options(exit);
        options.LoggerFactory = logs;
        await using Smolmix.Tunnel tunnel = await time.DriveAsync(Smolmix.Tunnel.ConnectAsync(options));

        net.Server.SendGarbageAfterUpgrade = true;
        net.Server.DropConnection();
        int before = net.Server.Upgrades;
        int warningsBefore = logs.Warnings;
        var perMinute = new List<int>();
        for (int minute = 0; minute < 3; minute++)
        {
            int start = net.Server.Upgrades;
            await time.PassAsync(TimeSpan.FromMinutes(1), TimeSpan.FromMilliseconds(100));
            perMinute.Add(net.Server.Upgrades - start);
        }

        int upgrades = net.Server.Upgrades - before;
        int warnings = logs.Warnings - warningsBefore;
        output.WriteLine($"Garbage endpoint for 3 virtual minutes: {upgrades} reconnects (per minute: {string.Join(", ", perMinute)}), {warnings} warnings logged, state {tunnel.State}.");
        Assert.NotEqual(TunnelState.Ready, tunnel.State);
        Assert.InRange(upgrades, 3, 60); // was ~5 per second (900 in 3 minutes)
        Assert.True(perMinute[2] <= perMinute[0], "the backoff keeps growing: no reset on a bare upgrade");
        Assert.InRange(perMinute[2], 0, 12);
        Assert.InRange(warnings, 1, 60); // one line per 10 s per kind at most, with a count

        // And when the endpoint behaves again, the tunnel comes back.
        net.Server.SendGarbageAfterUpgrade = false;
        await time.DriveUntilAsync(() => tunnel.State == TunnelState.Ready, TimeSpan.FromMilliseconds(50), TimeSpan.FromMinutes(2));
    }

    private static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static Exception? Innermost(Exception error, Func<Exception, bool> match)
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            if (match(e))
            {
                return e;
            }
        }

        return null;
    }

    private sealed class CountingLoggerFactory : ILoggerFactory
    {
        private int _warnings;

        public int Warnings => Volatile.Read(ref _warnings);

        public LogLevel Minimum { get; init; } = LogLevel.Warning;

        public TimeProvider? Time { get; init; }

        public ConcurrentQueue<string> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }

        private sealed class Logger(CountingLoggerFactory owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (logLevel >= LogLevel.Warning)
                {
                    Interlocked.Increment(ref owner._warnings);
                }

                if (logLevel >= owner.Minimum)
                {
                    owner.Lines.Enqueue($"{owner.Time?.GetUtcNow():HH:mm:ss.fff} {logLevel} {category} {eventId.Id} {formatter(state, exception)}");
                }
            }
        }
    }
}
