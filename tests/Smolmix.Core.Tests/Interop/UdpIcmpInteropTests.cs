using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Smolmix.Wire;
using Xunit.Abstractions;

namespace Smolmix.Tests.Interop;

/// <summary>UDP and ICMP between our stack and the Linux kernel: echo, port unreachable, pings both ways.</summary>
[Collection(InteropCollection.Name)]
public class UdpIcmpInteropTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private readonly ITestOutputHelper _out;

    public UdpIcmpInteropTests(ITestOutputHelper output) => _out = output;

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Udp_ToAKernelEchoSocket_ComesBack(bool v6)
    {
        Skip.If(KernelRig.WhyNot is not null, $"needs root, /dev/net/tun and ip: {KernelRig.WhyNot}");
        await using var rig = KernelRig.Create();
        var family = v6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        using var echo = rig.KernelSocket(family, SocketType.Dgram, ProtocolType.Udp);
        echo.Bind(new IPEndPoint(v6 ? KernelRig.KernelV6 : KernelRig.KernelV4, 0));
        var echoEnd = (IPEndPoint)echo.LocalEndPoint!;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var server = Task.Run(async () =>
        {
            var buf = new byte[65536];
            var senders = new List<IPEndPoint>();
            for (int i = 0; i < 3; i++)
            {
                var r = await echo.ReceiveFromAsync(buf, SocketFlags.None, new IPEndPoint(v6 ? IPAddress.IPv6Any : IPAddress.Any, 0), cts.Token);
                await echo.SendToAsync(buf.AsMemory(0, r.ReceivedBytes), SocketFlags.None, r.RemoteEndPoint, cts.Token);
                senders.Add((IPEndPoint)r.RemoteEndPoint);
            }

            return senders;
        });

        using var udp = rig.Stack.BindUdp();
        var rbuf = new byte[2048];
        for (int i = 0; i < 3; i++)
        {
            byte[] payload = new byte[(i * 600) + 1]; // 1, 601 and 1201 bytes: the last fills most of the MTU
            new Random(i).NextBytes(payload);
            var sw = Stopwatch.StartNew();
            await udp.SendToAsync(payload, echoEnd);
            var r = await udp.ReceiveFromAsync(rbuf).AsTask().WaitAsync(Timeout);
            _out.WriteLine($"v6={v6}: {payload.Length} B echoed in {sw.Elapsed.TotalMilliseconds:0.00} ms");
            Assert.Equal(echoEnd, r.RemoteEndPoint);
            Assert.Equal(payload, rbuf.AsSpan(0, r.ReceivedBytes).ToArray());
        }

        var seen = await server.WaitAsync(Timeout);
        Assert.All(seen, e => Assert.Equal(new IPEndPoint(v6 ? KernelRig.StackV6 : KernelRig.StackV4, udp.Port), e));
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Udp_ToAClosedKernelPort_FailsTheSocketWithConnectionRefused(bool v6)
    {
        Skip.If(KernelRig.WhyNot is not null, $"needs root, /dev/net/tun and ip: {KernelRig.WhyNot}");
        await using var rig = KernelRig.Create();
        using var udp = rig.Stack.BindUdp();
        var sw = Stopwatch.StartNew();
        await udp.SendToAsync("anyone?"u8.ToArray(), new IPEndPoint(v6 ? KernelRig.KernelV6 : KernelRig.KernelV4, 9));
        var e = await Assert.ThrowsAsync<SocketException>(() => udp.ReceiveFromAsync(new byte[100]).AsTask().WaitAsync(Timeout));
        _out.WriteLine($"v6={v6}: {e.SocketErrorCode} after {sw.Elapsed.TotalMilliseconds:0.0} ms");
        Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Ping_FromTheKernel_IsAnswered(bool v6)
    {
        Skip.If(KernelRig.WhyNot is not null, $"needs root, /dev/net/tun and ip: {KernelRig.WhyNot}");
        await using var rig = KernelRig.Create();
        var target = v6 ? KernelRig.StackV6 : KernelRig.StackV4;

        if (Tools.Exists("ping"))
        {
            var (code, output) = rig.NsExec("ping", $"{(v6 ? "-6" : "-4")} -c 3 -i 0.2 -W 2 {target}", TimeSpan.FromSeconds(20));
            _out.WriteLine(output.Trim());
            Assert.True(code == 0, $"ping failed ({code}): {output}");
            Assert.Contains("3 received", output, StringComparison.Ordinal);
        }
        else
        {
            _out.WriteLine("ping(8) is not installed; using a raw ICMP socket in the namespace instead");
        }

        // The same with a raw ICMP socket of the namespace (independent of the ping tool).
        using var raw = rig.KernelSocket(v6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork, SocketType.Raw, v6 ? ProtocolType.IcmpV6 : ProtocolType.Icmp);
        raw.ReceiveTimeout = (int)Timeout.TotalMilliseconds;
        const ushort id = 0x5a5a;
        for (ushort seq = 1; seq <= 3; seq++)
        {
            byte[] request = new byte[8 + 56];
            request[0] = v6 ? IcmpHeader.V6EchoRequest : IcmpHeader.V4EchoRequest;
            BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(4), id);
            BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(6), seq);
            new Random(seq).NextBytes(request.AsSpan(8));
            if (!v6)
            {
                BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(2), Checksum(request)); // the kernel fills it in for ICMPv6 only
            }

            var sw = Stopwatch.StartNew();
            raw.SendTo(request, new IPEndPoint(target, 0));
            byte[] reply = ReceiveEchoReply(raw, v6, id, seq);
            _out.WriteLine($"v6={v6}: raw echo {seq} answered in {sw.Elapsed.TotalMilliseconds:0.00} ms");
            Assert.Equal(request.AsSpan(8).ToArray(), reply.AsSpan(8).ToArray());
            if (!v6)
            {
                Assert.Equal(0, Checksum(reply));
            }
        }
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Ping_FromOurStack_IsAnsweredByTheKernel(bool v6)
    {
        Skip.If(KernelRig.WhyNot is not null, $"needs root, /dev/net/tun and ip: {KernelRig.WhyNot}");
        await using var rig = KernelRig.Create();
        for (int i = 0; i < 3; i++)
        {
            var rtt = await rig.Stack.PingAsync(v6 ? KernelRig.KernelV6 : KernelRig.KernelV4, Timeout, payloadSize: 56 + (i * 500));
            _out.WriteLine($"v6={v6}: ping {i} rtt {rtt.TotalMilliseconds:0.00} ms");
            Assert.True(rtt < TimeSpan.FromSeconds(1));
        }
    }

    private static byte[] ReceiveEchoReply(Socket raw, bool v6, ushort id, ushort seq)
    {
        var buf = new byte[2048];
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < Timeout)
        {
            int n = raw.Receive(buf);
            int off = v6 ? 0 : (buf[0] & 0x0F) * 4; // a raw IPv4 socket delivers the IP header too
            var icmp = buf.AsSpan(off, n - off);
            byte reply = v6 ? IcmpHeader.V6EchoReply : IcmpHeader.V4EchoReply;
            if (icmp.Length >= 8 && icmp[0] == reply && BinaryPrimitives.ReadUInt16BigEndian(icmp[4..]) == id && BinaryPrimitives.ReadUInt16BigEndian(icmp[6..]) == seq)
            {
                return icmp.ToArray();
            }
        }

        throw new TimeoutException("no echo reply");
    }

    private static ushort Checksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (int i = 0; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        if (data.Length % 2 == 1)
        {
            sum += (uint)data[^1] << 8;
        }

        while (sum >> 16 != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }
}
