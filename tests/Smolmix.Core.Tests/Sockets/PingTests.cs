using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Smolmix.Tests.Conformance;

namespace Smolmix.Tests.Sockets;

public class PingTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Ping_BetweenStacks_ReturnsRtt(bool v6)
    {
        await using var p = StackPair.Create();
        var rtt = await p.Client.PingAsync(v6 ? StackPair.ServerV6 : StackPair.ServerV4, TimeSpan.FromSeconds(5)).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.InRange(rtt, TimeSpan.Zero, TimeSpan.FromSeconds(2));
        var rtt2 = await p.Server.PingAsync(v6 ? StackPair.ClientV6 : StackPair.ClientV4, TimeSpan.FromSeconds(5), payloadSize: 1000).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.InRange(rtt2, TimeSpan.Zero, TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task ManyConcurrentPings_AllAnswered()
    {
        await using var p = StackPair.Create();
        var pings = Enumerable.Range(0, 50).Select(i => p.Client.PingAsync(i % 2 == 0 ? StackPair.ServerV4 : StackPair.ServerV6, TimeSpan.FromSeconds(5), i)).ToArray();
        var rtts = await Task.WhenAll(pings).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.All(rtts, r => Assert.True(r >= TimeSpan.Zero));
    }

    [Theory]
    [InlineData("10.0.0.99")]
    [InlineData("fd00::99")]
    public async Task Ping_Unanswered_ThrowsTimeoutWithinTimeout(string address)
    {
        await using var p = StackPair.Create();
        var timeout = TimeSpan.FromMilliseconds(500);
        var sw = Stopwatch.StartNew();
        await Assert.ThrowsAsync<TimeoutException>(() => p.Client.PingAsync(IPAddress.Parse(address), timeout).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.InRange(sw.Elapsed, timeout - TimeSpan.FromMilliseconds(50), timeout + TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Ping_Cancelled_AndInvalidArguments()
    {
        await using var p = StackPair.Create(v6: false);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => p.Client.PingAsync(IPAddress.Parse("10.0.0.99"), TimeSpan.FromSeconds(30), cancellationToken: cts.Token).WaitAsync(TimeSpan.FromSeconds(10)));
        await Assert.ThrowsAsync<ArgumentNullException>(() => p.Client.PingAsync(null!, TimeSpan.FromSeconds(1)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => p.Client.PingAsync(StackPair.ServerV4, TimeSpan.FromSeconds(1), -1));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => p.Client.PingAsync(StackPair.ServerV4, TimeSpan.FromSeconds(1), 65000));
        var e = await Assert.ThrowsAsync<SocketException>(() => p.Client.PingAsync(StackPair.ServerV6, TimeSpan.FromSeconds(1)));
        Assert.Equal(SocketError.AddressFamilyNotSupported, e.SocketErrorCode);
    }
}
