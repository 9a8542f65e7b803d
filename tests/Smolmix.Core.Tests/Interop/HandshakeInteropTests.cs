using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Xunit.Abstractions;

namespace Smolmix.Tests.Interop;

/// <summary>Three-way handshakes and a small exchange with the Linux kernel's TCP, both ways, IPv4 and IPv6.</summary>
[Collection(InteropCollection.Name)]
public class HandshakeInteropTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly ITestOutputHelper _out;

    public HandshakeInteropTests(ITestOutputHelper output) => _out = output;

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task OurConnect_ToAKernelListener_ExchangesARequestAndAResponse(bool v6)
    {
        Skip.If(KernelRig.WhyNot is not null, $"needs root, /dev/net/tun and ip: {KernelRig.WhyNot}");
        await using var rig = KernelRig.Create();
        var family = v6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        using var listener = rig.KernelListener(family);
        var kernelEnd = (IPEndPoint)listener.LocalEndPoint!;

        var server = Task.Run(async () =>
        {
            using var s = await listener.AcceptAsync().WaitAsync(Timeout);
            var buf = new byte[256];
            int n = await ReadUntilAsync(s, buf, "\n");
            string request = Encoding.ASCII.GetString(buf, 0, n);
            await s.SendAsync(Encoding.ASCII.GetBytes($"echo:{request}"));
            s.Shutdown(SocketShutdown.Send);
            return ((IPEndPoint)s.RemoteEndPoint!, request);
        });

        var sw = Stopwatch.StartNew();
        await using var stream = await rig.Stack.ConnectTcpAsync(kernelEnd, Timeout);
        var connected = sw.Elapsed;
        Assert.Equal(kernelEnd, stream.RemoteEndPoint);
        await stream.WriteAsync("hello kernel\n"u8.ToArray());
        string reply = await ReadToEndAsync(stream);
        var (peer, request) = await server.WaitAsync(Timeout);

        _out.WriteLine($"v6={v6}: connected in {connected.TotalMilliseconds:0.0} ms; reply '{reply.TrimEnd()}' after {sw.Elapsed.TotalMilliseconds:0.0} ms");
        Assert.Equal("hello kernel\n", request);
        Assert.Equal("echo:hello kernel\n", reply);
        Assert.Equal(stream.LocalEndPoint, peer);
        Assert.Equal(v6 ? KernelRig.StackV6 : KernelRig.StackV4, peer.Address);
        Assert.Equal(0, rig.Stack.Metrics.TcpRetransmits);
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task KernelConnect_ToOurListener_ExchangesARequestAndAResponse(bool v6)
    {
        Skip.If(KernelRig.WhyNot is not null, $"needs root, /dev/net/tun and ip: {KernelRig.WhyNot}");
        await using var rig = KernelRig.Create();
        using var listener = rig.Stack.Listen(8080);
        var family = v6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        using var client = rig.KernelSocket(family, SocketType.Stream, ProtocolType.Tcp);

        var server = Task.Run(async () =>
        {
            await using var s = await listener.AcceptAsync().AsTask().WaitAsync(Timeout);
            var buf = new byte[256];
            int total = 0;
            while (!Encoding.ASCII.GetString(buf, 0, total).Contains('\n', StringComparison.Ordinal))
            {
                int n = await s.ReadAsync(buf.AsMemory(total)).AsTask().WaitAsync(Timeout);
                Assert.NotEqual(0, n);
                total += n;
            }

            await s.WriteAsync(Encoding.ASCII.GetBytes("pong:" + Encoding.ASCII.GetString(buf, 0, total)));
            s.ShutdownWrite();
            await s.WaitForSendCompletionAsync().WaitAsync(Timeout);
            return s.RemoteEndPoint;
        });

        var sw = Stopwatch.StartNew();
        await client.ConnectAsync(new IPEndPoint(v6 ? KernelRig.StackV6 : KernelRig.StackV4, 8080)).WaitAsync(Timeout);
        var connected = sw.Elapsed;
        await client.SendAsync("ping\n"u8.ToArray());
        var reply = new byte[256];
        int got = 0;
        while (true)
        {
            int n = await client.ReceiveAsync(reply.AsMemory(got)).AsTask().WaitAsync(Timeout);
            if (n == 0)
            {
                break;
            }

            got += n;
        }

        var remote = await server.WaitAsync(Timeout);
        _out.WriteLine($"v6={v6}: kernel connected in {connected.TotalMilliseconds:0.0} ms; reply after {sw.Elapsed.TotalMilliseconds:0.0} ms");
        Assert.Equal("pong:ping\n", Encoding.ASCII.GetString(reply, 0, got));
        Assert.Equal(client.LocalEndPoint, remote);

        // Nothing was lost on this clean path, so nothing may have been retransmitted. (Linux delays the
        // ACK of a FIN by up to its delayed-ACK timer; a tail loss probe must wait for it.)
        Assert.Equal(0, rig.Stack.Metrics.TcpRetransmits);
    }

    [SkippableFact]
    public async Task KernelConnect_ToAClosedPortOfOurs_IsRefused()
    {
        Skip.If(KernelRig.WhyNot is not null, $"needs root, /dev/net/tun and ip: {KernelRig.WhyNot}");
        await using var rig = KernelRig.Create();
        using var client = rig.KernelSocket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var e = await Assert.ThrowsAsync<SocketException>(() => client.ConnectAsync(new IPEndPoint(KernelRig.StackV4, 9)).WaitAsync(Timeout));
        Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
    }

    internal static async Task<int> ReadUntilAsync(Socket s, byte[] buf, string terminator)
    {
        int total = 0;
        while (!Encoding.ASCII.GetString(buf, 0, total).Contains(terminator, StringComparison.Ordinal))
        {
            int n = await s.ReceiveAsync(buf.AsMemory(total)).AsTask().WaitAsync(Timeout);
            Assert.NotEqual(0, n);
            total += n;
        }

        return total;
    }

    internal static async Task<string> ReadToEndAsync(Stream stream)
    {
        var ms = new MemoryStream();
        var buf = new byte[4096];
        while (true)
        {
            int n = await stream.ReadAsync(buf).AsTask().WaitAsync(Timeout);
            if (n == 0)
            {
                return Encoding.ASCII.GetString(ms.ToArray());
            }

            ms.Write(buf, 0, n);
        }
    }
}

/// <summary>Interop tests share the machine's two cores with timing-sensitive checks: run them one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class InteropCollection
{
    public const string Name = "Kernel interop";
}
