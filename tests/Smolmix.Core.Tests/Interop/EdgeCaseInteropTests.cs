using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Xunit.Abstractions;

namespace Smolmix.Tests.Interop;

/// <summary>Zero windows, resets and keepalives against the Linux kernel's TCP.</summary>
[Collection(InteropCollection.Name)]
public class EdgeCaseInteropTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly ITestOutputHelper _out;

    public EdgeCaseInteropTests(ITestOutputHelper output) => _out = output;

    [SkippableFact]
    public async Task KernelReceiverThatStopsReading_ClosesItsWindow_OurPersistTimerProbes_AndTheTransferResumes()
    {
        Skip.If(KernelRig.WhyNot is not null, $"needs root, /dev/net/tun and ip: {KernelRig.WhyNot}");
        await using var rig = KernelRig.Create();
        using var listener = rig.KernelSocket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.ReceiveBufferSize = 8192; // inherited by the accepted socket: its window closes quickly
        listener.Bind(new IPEndPoint(KernelRig.KernelV4, 0));
        listener.Listen(1);
        var accept = listener.AcceptAsync();
        await using var stream = await rig.Stack.ConnectTcpAsync((IPEndPoint)listener.LocalEndPoint!, Timeout);
        using var k = await accept.WaitAsync(Timeout);

        byte[] data = Pattern.Instance.Chunk(5, 256 * 1024).ToArray();
        await stream.WriteAsync(data).AsTask().WaitAsync(Timeout); // fits our send buffer: returns at once
        stream.ShutdownWrite();
        await Task.Delay(TimeSpan.FromSeconds(2.5)); // the kernel reads nothing meanwhile
        long probes = rig.Stack.Metrics.TcpZeroWindowProbes;
        var info = rig.Stack.GetInfo(stream);
        _out.WriteLine($"after 2.5 s of a closed window: zero-window probes {probes}, our send window {info.SendWindow}, retransmits {rig.Stack.Metrics.TcpRetransmits}");
        Assert.Equal(0, info.SendWindow);
        Assert.True(probes >= 1, "no zero-window probe within 2.5 s");

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buf = new byte[65536];
        long total = 0;
        int n;
        while ((n = await k.ReceiveAsync(buf.AsMemory()).AsTask().WaitAsync(Timeout)) > 0)
        {
            hash.AppendData(buf, 0, n);
            total += n;
        }

        Assert.Equal(data.Length, total);
        Assert.Equal(SHA256.HashData(data), hash.GetHashAndReset());
    }

    [SkippableFact]
    public async Task WhenWeStopReading_OurWindowCloses_TheKernelProbes_AndTheTransferResumes()
    {
        Skip.If(KernelRig.WhyNot is not null, $"needs root, /dev/net/tun and ip: {KernelRig.WhyNot}");
        var options = new StackOptions { TcpReceiveBufferSize = 16 * 1024, TcpMaxReceiveBufferSize = 16 * 1024 };
        await using var rig = KernelRig.Create(options: options);
        using var listener = rig.KernelListener(AddressFamily.InterNetwork);
        var accept = listener.AcceptAsync();
        await using var stream = await rig.Stack.ConnectTcpAsync((IPEndPoint)listener.LocalEndPoint!, Timeout);
        using var k = await accept.WaitAsync(Timeout);

        byte[] data = Pattern.Instance.Chunk(6, 256 * 1024).ToArray();
        var send = Task.Run(async () =>
        {
            await k.SendAsync(data);
            k.Shutdown(SocketShutdown.Send);
        });
        await Task.Delay(TimeSpan.FromSeconds(2.5)); // we read nothing meanwhile
        var kinfo = KernelTcpInfo.Get(k);
        _out.WriteLine($"after 2.5 s with our buffer full: kernel sees snd_wnd {kinfo.SndWnd}, unacked {kinfo.Unacked}; {kinfo}");
        Assert.Equal(0u, kinfo.SndWnd);

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buf = new byte[4096];
        long total = 0;
        int n;
        using var cts = new CancellationTokenSource(Timeout);
        while ((n = await stream.ReadAsync(buf, cts.Token)) > 0)
        {
            hash.AppendData(buf, 0, n);
            total += n;
        }

        await send.WaitAsync(Timeout);
        Assert.Equal(data.Length, total);
        Assert.Equal(SHA256.HashData(data), hash.GetHashAndReset());
    }

    [SkippableFact]
    public async Task OurActiveOpen_NeverOffersMoreWindowThanOurReceiveBuffer()
    {
        Skip.If(KernelRig.WhyNot is not null, $"needs root, /dev/net/tun and ip: {KernelRig.WhyNot}");
        // Whatever the kernel's ISN, the window the kernel learns from our handshake ACK is our buffer.
        // (A bug anchored the SYN's window at RCV.NXT = 0, so for about half of all ISNs we offered the
        // maximum window and accepted any amount of data.) Eight connections: eight random ISNs.
        var options = new StackOptions { TcpReceiveBufferSize = 16 * 1024, TcpMaxReceiveBufferSize = 16 * 1024 };
        await using var rig = KernelRig.Create(options: options);
        using var listener = rig.KernelListener(AddressFamily.InterNetwork);
        var windows = new List<uint>();
        for (int i = 0; i < 8; i++)
        {
            var accept = listener.AcceptAsync();
            await using var stream = await rig.Stack.ConnectTcpAsync((IPEndPoint)listener.LocalEndPoint!, Timeout);
            using var k = await accept.WaitAsync(Timeout);
            await stream.WriteAsync("x"u8.ToArray()); // our data segment carries the current window too
            Assert.Equal(1, await k.ReceiveAsync(new byte[8].AsMemory()).AsTask().WaitAsync(Timeout));
            windows.Add(KernelTcpInfo.Get(k).SndWnd);
        }

        _out.WriteLine($"windows the kernel saw: {string.Join(", ", windows)}");
        Assert.All(windows, w => Assert.InRange(w, 1u, 16u * 1024));
    }

    [SkippableFact]
    public async Task KernelAbort_ResetsOurStream_AndOurAbort_ResetsTheKernelSocket()
    {
        Skip.If(KernelRig.WhyNot is not null, $"needs root, /dev/net/tun and ip: {KernelRig.WhyNot}");
        await using var rig = KernelRig.Create();
        using var listener = rig.KernelListener(AddressFamily.InterNetwork);

        // The kernel aborts (SO_LINGER 0): our pending read fails with ConnectionReset.
        var accept = listener.AcceptAsync();
        await using var s1 = await rig.Stack.ConnectTcpAsync((IPEndPoint)listener.LocalEndPoint!, Timeout);
        var k1 = await accept.WaitAsync(Timeout);
        var pendingRead = s1.ReadAsync(new byte[100]).AsTask();
        k1.LingerState = new LingerOption(true, 0);
        k1.Close();
        var e1 = await Assert.ThrowsAsync<IOException>(() => pendingRead.WaitAsync(Timeout));
        Assert.Equal(SocketError.ConnectionReset, Assert.IsType<SocketException>(e1.InnerException).SocketErrorCode);

        // We abort: the kernel's pending receive fails with ECONNRESET.
        accept = listener.AcceptAsync();
        var s2 = await rig.Stack.ConnectTcpAsync((IPEndPoint)listener.LocalEndPoint!, Timeout);
        using var k2 = await accept.WaitAsync(Timeout);
        var kernelRead = k2.ReceiveAsync(new byte[100].AsMemory()).AsTask();
        s2.Abort();
        var e2 = await Assert.ThrowsAsync<SocketException>(() => kernelRead.WaitAsync(Timeout));
        Assert.Equal(SocketError.ConnectionReset, e2.SocketErrorCode);
        await s2.DisposeAsync();
    }

    [SkippableFact]
    public async Task GracefulClose_ThenStackShutdown_SendsNoResetFromTimeWait()
    {
        Skip.If(KernelRig.WhyNot is not null, $"needs root, /dev/net/tun and ip: {KernelRig.WhyNot}");
        string pcap = Path.Combine(Path.GetTempPath(), $"smx-close-{Guid.NewGuid():N}.pcap");
        try
        {
            await using (var rig = KernelRig.Create(pcapPath: pcap))
            {
                using var listener = rig.KernelListener(AddressFamily.InterNetwork);
                var accept = listener.AcceptAsync();
                var stream = await rig.Stack.ConnectTcpAsync((IPEndPoint)listener.LocalEndPoint!, Timeout);
                using var k = await accept.WaitAsync(Timeout);
                await stream.WriteAsync("bye"u8.ToArray());
                stream.ShutdownWrite(); // we close first, so we end in TIME-WAIT
                var buf = new byte[16];
                Assert.Equal(3, await k.ReceiveAsync(buf.AsMemory()).AsTask().WaitAsync(Timeout));
                Assert.Equal(0, await k.ReceiveAsync(buf.AsMemory()).AsTask().WaitAsync(Timeout));
                k.Shutdown(SocketShutdown.Send);
                Assert.Equal(0, await stream.ReadAsync(buf).AsTask().WaitAsync(Timeout));
                for (int i = 0; i < 100 && rig.Stack.GetInfo(stream).State != Smolmix.Tcp.TcpState.TimeWait; i++)
                {
                    await Task.Delay(10);
                }

                Assert.Equal(Smolmix.Tcp.TcpState.TimeWait, rig.Stack.GetInfo(stream).State);
                await stream.DisposeAsync();
            } // the stack shuts down with the connection in TIME-WAIT

            var ours = CapturedTcp.Read(pcap).Where(t => t.Source.Equals(KernelRig.StackV4)).ToList();
            _out.WriteLine($"our segments: {ours.Count}, flags {string.Join(" ", ours.Select(t => t.Flags.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)))}");
            Assert.DoesNotContain(ours, t => (t.Flags & 0x04) != 0); // RFC 9293 §3.10.5: ABORT in TIME-WAIT sends nothing
        }
        finally
        {
            File.Delete(pcap);
        }
    }

    [SkippableFact]
    public async Task KeepaliveProbes_AreAnsweredBothWays()
    {
        Skip.If(KernelRig.WhyNot is not null, $"needs root, /dev/net/tun and ip: {KernelRig.WhyNot}");
        // Our side probes after 0.5 s of idleness and gives up after 3 unanswered probes (2 s in all);
        // the kernel's after 1 s idle and 2 unanswered probes 1 s apart (3 s). Idle for 4.5 s: both must live.
        var options = new StackOptions
        {
            KeepAliveIdle = TimeSpan.FromMilliseconds(500),
            KeepAliveInterval = TimeSpan.FromMilliseconds(500),
            KeepAliveProbes = 3,
        };
        await using var rig = KernelRig.Create(options: options);
        using var listener = rig.KernelListener(AddressFamily.InterNetwork);
        var accept = listener.AcceptAsync();
        await using var stream = await rig.Stack.ConnectTcpAsync((IPEndPoint)listener.LocalEndPoint!, Timeout);
        using var k = await accept.WaitAsync(Timeout);
        k.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        k.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, 1);
        k.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, 1);
        k.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 2);
        long packetsBefore = rig.Stack.Metrics.PacketsOut;

        await Task.Delay(TimeSpan.FromSeconds(4.5));
        long ourPackets = rig.Stack.Metrics.PacketsOut - packetsBefore;
        var info = rig.Stack.GetInfo(stream);
        var kinfo = KernelTcpInfo.Get(k);
        _out.WriteLine($"after 4.5 s idle: our state {info.State}, kernel state {kinfo.State} (1 = ESTABLISHED), packets we sent {ourPackets}");
        Assert.Equal(Smolmix.Tcp.TcpState.Established, info.State);
        Assert.Equal(1, kinfo.State);
        Assert.True(ourPackets >= 4, "expected our keepalive probes and our answers to the kernel's");

        // And the connection still carries data both ways.
        await stream.WriteAsync("still here?"u8.ToArray());
        var buf = new byte[64];
        int n = await k.ReceiveAsync(buf.AsMemory()).AsTask().WaitAsync(Timeout);
        Assert.Equal("still here?", System.Text.Encoding.ASCII.GetString(buf, 0, n));
        await k.SendAsync("yes"u8.ToArray());
        n = await stream.ReadAsync(buf).AsTask().WaitAsync(Timeout);
        Assert.Equal("yes", System.Text.Encoding.ASCII.GetString(buf, 0, n));
    }
}
