using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Smolmix.Http.Tests.Support;

namespace Smolmix.Http.Tests.Connect;

/// <summary>Trying a host's addresses in turn (RFC 8305 style) over an in-memory stack pair.</summary>
public sealed class ConnectionAttemptsTests
{
    private static readonly IPAddress Silent = IPAddress.Parse("10.9.9.9"); // packets to it vanish

    [Fact]
    public async Task A_silent_first_address_is_overtaken_after_the_attempt_delay()
    {
        await using var pair = new StackPair();
        using TcpStreamListener listener = pair.Server.Listen(80);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var sw = Stopwatch.StartNew();

        (TcpStream stream, int attempts) = await ConnectionAttempts.ConnectFirstAsync(pair.Client, [Silent, StackPair.ServerAddress], 80, TimeSpan.FromMilliseconds(300), TimeProvider.System, cts.Token);

        await using (stream)
        {
            Assert.Equal(StackPair.ServerAddress, stream.RemoteEndPoint.Address);
            Assert.Equal(2, attempts);
            Assert.InRange(sw.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(10));
        }
    }

    [Fact]
    public async Task A_refused_address_moves_on_at_once_and_all_refused_is_a_SocketException()
    {
        await using var pair = new StackPair();
        using TcpStreamListener listener = pair.Server.Listen(80);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var sw = Stopwatch.StartNew();

        (TcpStream stream, _) = await ConnectionAttempts.ConnectFirstAsync(pair.Client, [StackPair.ServerAddress, StackPair.ServerAddress], 80, TimeSpan.FromSeconds(20), TimeProvider.System, cts.Token);
        await stream.DisposeAsync();
        var ex = await Assert.ThrowsAnyAsync<SocketException>(() => ConnectionAttempts.ConnectFirstAsync(pair.Client, [StackPair.ServerAddress, StackPair.ServerAddress], 81, TimeSpan.FromSeconds(20), TimeProvider.System, cts.Token));

        Assert.Equal(SocketError.ConnectionRefused, ex.SocketErrorCode);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), $"took {sw.Elapsed}: a refusal must not wait for the attempt delay");
    }

    [Fact]
    public async Task Cancelling_stops_every_attempt()
    {
        await using var pair = new StackPair();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ConnectionAttempts.ConnectFirstAsync(pair.Client, [Silent, IPAddress.Parse("10.9.9.8")], 80, TimeSpan.FromMilliseconds(100), TimeProvider.System, cts.Token)).WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Families_alternate_and_unreachable_ones_are_left_out()
    {
        IPAddress a1 = IPAddress.Parse("192.0.2.1"), a2 = IPAddress.Parse("192.0.2.2"), b1 = IPAddress.Parse("2001:db8::1"), b2 = IPAddress.Parse("2001:db8::2");

        Assert.Equal([a1, b1, a2, b2], ConnectionAttempts.Order([a1, a2, b1, b2], hasIPv6: true));
        Assert.Equal([b1, a1, b2], ConnectionAttempts.Order([b1, b2, a1], hasIPv6: true));
        Assert.Equal([a1, a2], ConnectionAttempts.Order([a1, b1, a2, b2], hasIPv6: false));
        Assert.Empty(ConnectionAttempts.Order([b1], hasIPv6: false));
    }
}
