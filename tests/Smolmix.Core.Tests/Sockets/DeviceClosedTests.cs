using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Smolmix.Devices;
using Smolmix.Tests.Conformance;
using Xunit.Abstractions;

namespace Smolmix.Tests.Sockets;

/// <summary>
/// Issue 10 item 9: when the packet device under a <see cref="NetStack"/> closes, every socket on the
/// stack fails at once with <see cref="SocketError.NetworkDown"/>, and the closure is counted. Before,
/// the read loop ended silently, a sending stream failed only after its user timeout (303 s) and a stream
/// that only receives waited forever.
/// </summary>
public class DeviceClosedTests(ITestOutputHelper output)
{
    private static void AssertNetworkDown(Exception ex)
    {
        var se = ex as SocketException ?? ex.InnerException as SocketException;
        Assert.True(se is not null, $"expected a SocketException, got {ex}");
        Assert.Equal(SocketError.NetworkDown, se!.SocketErrorCode);
    }

    [Fact]
    public async Task DeviceDisposed_FailsReceivingAndSendingStreams_AtOnce_AndIsCounted()
    {
        IPacketDevice? clientDevice = null;
        await using var p = StackPair.Create(wrapClientDevice: d => clientDevice = d);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var (receiver, receiverPeer) = await p.ConnectAsync(80, cancellationToken: cts.Token);
        var (sender, senderPeer) = await p.ConnectAsync(81, cancellationToken: cts.Token);
        await using var _1 = receiver;
        await using var _2 = receiverPeer;
        await using var _3 = sender;
        await using var _4 = senderPeer;
        using var udp = p.Client.BindUdp(5353);

        // One stream only receives (nothing will come), the other sends as fast as it can (the peer does not read).
        var read = receiver.ReadAsync(new byte[100], cts.Token).AsTask();
        var write = Task.Run(async () =>
        {
            var chunk = new byte[16384];
            for (int i = 0; i < 100_000; i++)
            {
                await sender.WriteAsync(chunk, cts.Token);
            }
        });
        var udpReceive = udp.ReceiveFromAsync(new byte[100], cts.Token).AsTask();
        await Task.Delay(200);
        Assert.False(read.IsCompleted);
        Assert.Equal(0, p.Client.Metrics.DeviceClosures);

        var sw = Stopwatch.StartNew();
        await clientDevice!.DisposeAsync();
        var readEx = await Assert.ThrowsAnyAsync<Exception>(() => read);
        var writeEx = await Assert.ThrowsAnyAsync<Exception>(() => write);
        var udpEx = await Assert.ThrowsAnyAsync<Exception>(() => udpReceive);
        sw.Stop();
        output.WriteLine($"all failed {sw.Elapsed.TotalMilliseconds:0} ms after the device closed: read {readEx.GetType().Name}: {readEx.Message}; " +
            $"write {writeEx.GetType().Name}: {writeEx.Message}; udp {udpEx.GetType().Name}; closures {p.Client.Metrics.DeviceClosures}, write failures {p.Client.Metrics.DeviceWriteFailures}");
        Assert.IsType<IOException>(readEx);
        AssertNetworkDown(readEx);
        Assert.IsType<IOException>(writeEx);
        AssertNetworkDown(writeEx);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"took {sw.Elapsed}");
        Assert.Equal(1, p.Client.Metrics.DeviceClosures);

        // New connections fail at once too.
        var connectEx = await Assert.ThrowsAnyAsync<Exception>(() => p.Client.ConnectTcpAsync(new IPEndPoint(StackPair.ServerV4, 80), TimeSpan.FromSeconds(10), cts.Token));
        output.WriteLine($"connect: {connectEx.GetType().Name}: {connectEx.Message}");
        AssertNetworkDown(connectEx);
        // (Disposing one end of an in-memory link ends the other end's reads too, so the server's stack
        // counts its own closure: not asserted here.)
    }

    [Fact]
    public async Task DeviceDisposed_FailsPendingAndLaterAccepts_WithNetworkDown()
    {
        IPacketDevice? clientDevice = null;
        await using var p = StackPair.Create(wrapClientDevice: d => clientDevice = d);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var listener = p.Client.Listen(8080);
        var pending = listener.AcceptAsync(cts.Token).AsTask();
        await Task.Delay(100);
        Assert.False(pending.IsCompleted);

        var sw = Stopwatch.StartNew();
        await clientDevice!.DisposeAsync();
        var ex = await Assert.ThrowsAsync<SocketException>(() => pending.WaitAsync(TimeSpan.FromSeconds(5)));
        sw.Stop();
        output.WriteLine($"pending accept failed {sw.Elapsed.TotalMilliseconds:0} ms after the device closed: {ex.Message}");
        Assert.Equal(SocketError.NetworkDown, ex.SocketErrorCode);

        // A later accept fails the same way at once, and so does a new listener.
        var later = await Assert.ThrowsAsync<SocketException>(() => listener.AcceptAsync(cts.Token).AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(SocketError.NetworkDown, later.SocketErrorCode);
        var listen = Assert.Throws<SocketException>(() => p.Client.Listen(8081));
        Assert.Equal(SocketError.NetworkDown, listen.SocketErrorCode);

        // Once the listener is disposed, accepting reports that instead.
        listener.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => listener.AcceptAsync(cts.Token).AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task StackDisposed_FailsPendingAccept_WithObjectDisposed()
    {
        var (a, b) = InMemoryPacketLink.CreatePair();
        var stack = NetStack.Start(a, IPAddress.Parse("10.0.0.2"));
        var listener = stack.Listen(8080);
        var pending = listener.AcceptAsync().AsTask();
        await stack.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => pending.WaitAsync(TimeSpan.FromSeconds(5)));
        await a.DisposeAsync();
        await b.DisposeAsync();
    }

    [Fact]
    public async Task StackDisposedBeforeDevice_IsNotCountedAsDeviceClosure()
    {
        var (a, b) = InMemoryPacketLink.CreatePair();
        var stack = NetStack.Start(a, IPAddress.Parse("10.0.0.2"));
        await stack.DisposeAsync();
        await a.DisposeAsync();
        await b.DisposeAsync();
        Assert.Equal(0, stack.Metrics.DeviceClosures);
    }
}
