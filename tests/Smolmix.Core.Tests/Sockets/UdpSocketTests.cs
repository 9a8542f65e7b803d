using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Smolmix.Tests.Conformance;
using Smolmix.Wire;

namespace Smolmix.Tests.Sockets;

public class UdpSocketTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static IPAddress ServerAddress(bool v6) => v6 ? StackPair.ServerV6 : StackPair.ServerV4;

    private static IPAddress ClientAddress(bool v6) => v6 ? StackPair.ClientV6 : StackPair.ClientV4;

    private static int MaxPayload(NetStack s, bool v6) => s.Options.Mtu - (v6 ? 40 : 20) - 8;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SendTo_ReceiveFrom_RoundTrip(bool v6)
    {
        await using var p = StackPair.Create();
        using var cts = new CancellationTokenSource(Bound);
        using var server = p.Server.BindUdp(5353);
        using var client = p.Client.BindUdp();
        Assert.Equal(5353, server.Port);
        Assert.False(server.AnyAddress);
        var serverEp = new IPEndPoint(ServerAddress(v6), 5353);

        await client.SendToAsync("ping"u8.ToArray(), serverEp, cts.Token);
        var buf = new byte[2048];
        var r = await server.ReceiveFromAsync(buf, cts.Token);
        Assert.Equal("ping"u8.ToArray(), buf[..r.ReceivedBytes]);
        Assert.Equal(new IPEndPoint(ClientAddress(v6), client.Port), r.RemoteEndPoint);
        Assert.Equal(serverEp, r.LocalEndPoint);

        await server.SendToAsync("pong"u8.ToArray(), r.RemoteEndPoint, cts.Token);
        var r2 = await client.ReceiveFromAsync(buf, cts.Token);
        Assert.Equal("pong"u8.ToArray(), buf[..r2.ReceivedBytes]);
        Assert.Equal(serverEp, r2.RemoteEndPoint);
        Assert.Equal(new IPEndPoint(ClientAddress(v6), client.Port), r2.LocalEndPoint);

        // Empty datagrams, the largest datagram, and truncation into a small buffer; order is kept on this link.
        await client.SendToAsync(ReadOnlyMemory<byte>.Empty, serverEp, cts.Token);
        var max = TestUtil.Pattern(MaxPayload(p.Client, v6), 1);
        await client.SendToAsync(max, serverEp, cts.Token);
        await client.SendToAsync(TestUtil.Pattern(100, 2), serverEp, cts.Token);
        Assert.Equal(0, (await server.ReceiveFromAsync(buf, cts.Token)).ReceivedBytes);
        var rmax = await server.ReceiveFromAsync(buf, cts.Token);
        Assert.Equal(max, buf[..rmax.ReceivedBytes]);
        Assert.False(rmax.Truncated);
        var small = new byte[10];
        var rt = await server.ReceiveFromAsync(small, cts.Token);
        Assert.Equal(10, rt.ReceivedBytes);
        Assert.True(rt.Truncated);
        Assert.Equal(TestUtil.Pattern(100, 2)[..10], small);
    }

    [Fact]
    public async Task Bind_EphemeralPorts_AndAddressInUse()
    {
        await using var p = StackPair.Create();
        using var a = p.Client.BindUdp();
        using var b = p.Client.BindUdp(0);
        Assert.InRange(a.Port, 49152, 65535);
        Assert.InRange(b.Port, 49152, 65535);
        Assert.NotEqual(a.Port, b.Port);
        Assert.Equal(SocketError.AddressAlreadyInUse, Assert.Throws<SocketException>(() => p.Client.BindUdp(a.Port)).SocketErrorCode);
        Assert.Throws<ArgumentOutOfRangeException>(() => p.Client.BindUdp(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => p.Client.BindUdp(65536));
        using var any = p.Client.BindUdp(0, anyAddress: true);
        Assert.True(any.AnyAddress);
        Assert.Equal(SocketError.AddressAlreadyInUse, Assert.Throws<SocketException>(() => p.Client.BindUdp(0, anyAddress: true)).SocketErrorCode);
        int port = a.Port;
        a.Dispose();
        using var again = p.Client.BindUdp(port);
        Assert.Equal(port, again.Port);
    }

    [Fact]
    public async Task ReceiveQueueOverflow_DropsAreCounted()
    {
        await using var p = StackPair.Create(serverOptions: new StackOptions { UdpReceiveQueueLength = 4 });
        using var cts = new CancellationTokenSource(Bound);
        using var server = p.Server.BindUdp(7000);
        using var client = p.Client.BindUdp();
        for (int i = 0; i < 10; i++)
        {
            await client.SendToAsync(new[] { (byte)i }, new IPEndPoint(StackPair.ServerV4, 7000), cts.Token);
        }
        Assert.True(await TestUtil.EventuallyAsync(() => server.DroppedDatagrams == 6, Bound), $"dropped {server.DroppedDatagrams}");
        Assert.Equal(6, p.Server.Metrics.Drops(DropReason.QueueFull));
        var buf = new byte[16];
        for (int i = 0; i < 4; i++)
        {
            var r = await server.ReceiveFromAsync(buf, cts.Token);
            Assert.Equal(1, r.ReceivedBytes);
            Assert.Equal(i, buf[0]); // the oldest are kept, the overflow is dropped
        }
        using var quiet = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await server.ReceiveFromAsync(buf, quiet.Token));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task DatagramLargerThanTheMtu_IsFragmented_AndReassembled_ButOver64KiB_IsMessageSize(bool v6)
    {
        await using var p = StackPair.Create();
        using var cts = new CancellationTokenSource(Bound);
        using var s = p.Client.BindUdp();
        using var server = p.Server.BindUdp(9);
        var ep = new IPEndPoint(ServerAddress(v6), 9);
        var big = new byte[MaxPayload(p.Client, v6) * 3 + 17];
        new Random(5).NextBytes(big);
        await s.SendToAsync(big, ep, cts.Token);
        var buf = new byte[70_000];
        var r = await server.ReceiveFromAsync(buf, cts.Token);
        Assert.Equal(big.Length, r.ReceivedBytes);
        Assert.True(buf.AsSpan(0, r.ReceivedBytes).SequenceEqual(big));
        var e = await Assert.ThrowsAsync<SocketException>(async () => await s.SendToAsync(new byte[70_000], ep));
        Assert.Equal(SocketError.MessageSize, e.SocketErrorCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task DatagramToUnboundPort_IcmpUnreachable_NextReceiveThrowsConnectionRefused(bool v6)
    {
        await using var p = StackPair.Create();
        using var cts = new CancellationTokenSource(Bound);
        using var s = p.Client.BindUdp();
        var buf = new byte[64];
        var pending = s.ReceiveFromAsync(buf, cts.Token).AsTask();
        await s.SendToAsync("anyone?"u8.ToArray(), new IPEndPoint(ServerAddress(v6), 9999), cts.Token);
        var e = await Assert.ThrowsAsync<SocketException>(() => pending.WaitAsync(cts.Token));
        Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
        Assert.True(p.Server.Metrics.Drops(DropReason.NoSocket) >= 1);

        // The error is reported once; the socket then works normally.
        using var server = p.Server.BindUdp(9999);
        await s.SendToAsync("now?"u8.ToArray(), new IPEndPoint(ServerAddress(v6), 9999), cts.Token);
        var r = await server.ReceiveFromAsync(buf, cts.Token);
        await server.SendToAsync(buf.AsMemory(0, r.ReceivedBytes), r.RemoteEndPoint, cts.Token);
        var back = await s.ReceiveFromAsync(buf, cts.Token);
        Assert.Equal("now?"u8.ToArray(), buf[..back.ReceivedBytes]);
    }

    [Theory]
    [InlineData("8.8.8.8", 53)]
    [InlineData("2001:4860:4860::8888", 53)]
    [InlineData("10.0.0.1", 4242)]
    public async Task AnyAddressSocket_SeesAnyDestination_AndRepliesFromIt(string address, int port)
    {
        await using var p = StackPair.Create();
        using var cts = new CancellationTokenSource(Bound);
        using var any = p.Server.BindUdp(0, anyAddress: true);
        using var client = p.Client.BindUdp();
        var dest = new IPEndPoint(IPAddress.Parse(address), port);
        await client.SendToAsync("query"u8.ToArray(), dest, cts.Token);
        var buf = new byte[64];
        var r = await any.ReceiveFromAsync(buf, cts.Token);
        Assert.Equal("query"u8.ToArray(), buf[..r.ReceivedBytes]);
        Assert.Equal(dest, r.LocalEndPoint);
        bool v6 = dest.AddressFamily == AddressFamily.InterNetworkV6;
        Assert.Equal(new IPEndPoint(ClientAddress(v6), client.Port), r.RemoteEndPoint);

        await any.SendToAsync("answer"u8.ToArray(), r.RemoteEndPoint, r.LocalEndPoint, cts.Token);
        var back = await client.ReceiveFromAsync(buf, cts.Token);
        Assert.Equal("answer"u8.ToArray(), buf[..back.ReceivedBytes]);
        Assert.Equal(dest, back.RemoteEndPoint);
    }

    [Fact]
    public async Task BoundSocket_CannotSendFromForeignAddress()
    {
        await using var p = StackPair.Create();
        using var s = p.Client.BindUdp(1234);
        var e = await Assert.ThrowsAsync<SocketException>(async () =>
            await s.SendToAsync(new byte[1], new IPEndPoint(StackPair.ServerV4, 9), new IPEndPoint(IPAddress.Parse("8.8.8.8"), 53)));
        Assert.Equal(SocketError.AddressNotAvailable, e.SocketErrorCode);
        // Its own address is fine.
        await s.SendToAsync(new byte[1], new IPEndPoint(StackPair.ServerV4, 9), new IPEndPoint(StackPair.ClientV4, 1234));
    }

    [Fact]
    public async Task Dispose_UnblocksPendingReceive_AndLaterCallsThrow()
    {
        await using var p = StackPair.Create();
        var s = p.Client.BindUdp();
        var pending = s.ReceiveFromAsync(new byte[16]).AsTask();
        await Task.Delay(50);
        Assert.False(pending.IsCompleted);
        await Task.Run(s.Dispose);

        // The bounded wait is the check (a receive that Dispose did not wake would time out); an elapsed-time
        // assert with the same bound after it could never fail.
        await Assert.ThrowsAsync<ObjectDisposedException>(() => pending.WaitAsync(TimeSpan.FromSeconds(2)));
        s.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await s.ReceiveFromAsync(new byte[16]));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await s.SendToAsync(new byte[1], new IPEndPoint(StackPair.ServerV4, 9)));
    }

    [Fact]
    public async Task StackDispose_UnblocksPendingReceive()
    {
        var p = StackPair.Create();
        var s = p.Client.BindUdp();
        var pending = s.ReceiveFromAsync(new byte[16]).AsTask();
        await Task.Delay(50);
        await p.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => pending.WaitAsync(TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public async Task ReceiveCancellation_ThenStillUsable()
    {
        await using var p = StackPair.Create();
        using var bound = new CancellationTokenSource(Bound);
        using var server = p.Server.BindUdp(7001);
        using var client = p.Client.BindUdp();
        var buf = new byte[16];
        using var cts = new CancellationTokenSource();
        var pending = server.ReceiveFromAsync(buf, cts.Token).AsTask();
        await Task.Delay(50);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.WaitAsync(bound.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await client.SendToAsync(new byte[1], new IPEndPoint(StackPair.ServerV4, 7001), new CancellationToken(true)));
        await client.SendToAsync(new byte[] { 5 }, new IPEndPoint(StackPair.ServerV4, 7001), bound.Token);
        var r = await server.ReceiveFromAsync(buf, bound.Token);
        Assert.Equal(1, r.ReceivedBytes);
        Assert.Equal(5, buf[0]);
    }
}
