using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Smolmix.Tests.Devices;
using Xunit.Abstractions;

namespace Smolmix.Tests.Interop;

/// <summary>MSS negotiation with the kernel, segment sizes against the 1420-byte MTU, large kernel sends.</summary>
[Collection(InteropCollection.Name)]
public class MssMtuInteropTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly ITestOutputHelper _out;

    public MssMtuInteropTests(ITestOutputHelper output) => _out = output;

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task KernelSeesOurMss_NoSegmentExceedsTheMtu_AndLargeKernelSendsArriveIntact(bool v6)
    {
        Skip.If(KernelRig.WhyNot is not null, $"needs root, /dev/net/tun and ip: {KernelRig.WhyNot}");
        int expectedMss = KernelRig.Mtu - (v6 ? 60 : 40); // 1380 over IPv4, 1360 over IPv6
        var ours = v6 ? KernelRig.StackV6 : KernelRig.StackV4;
        var kernel = v6 ? KernelRig.KernelV6 : KernelRig.KernelV4;
        var family = v6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        string pcap = Path.Combine(Path.GetTempPath(), $"smx-mss-{Guid.NewGuid():N}.pcap");
        const int big = 4 << 20;
        byte[] kernelData = Pattern.Instance.Chunk(777, 256 * 1024).ToArray();
        try
        {
            int kernelMaxSeg, kernelMaxSegPassive;
            await using (var rig = KernelRig.Create(pcapPath: pcap))
            {
                // Active open: our SYN carries our MSS; the kernel then sends 4 MiB in large send() calls.
                using var listener = rig.KernelListener(family);
                var accept = listener.AcceptAsync();
                await using var stream = await rig.Stack.ConnectTcpAsync((IPEndPoint)listener.LocalEndPoint!, Timeout);
                using var k = await accept.WaitAsync(Timeout);
                kernelMaxSeg = KernelTcpInfo.MaxSeg(k);
                var send = Task.Run(async () =>
                {
                    using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                    for (int sent = 0; sent < big; sent += kernelData.Length)
                    {
                        await k.SendAsync(kernelData); // 256 KiB per call: the kernel segments it
                        h.AppendData(kernelData);
                    }

                    k.Shutdown(SocketShutdown.Send);
                    return h.GetHashAndReset();
                });
                using var rh = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var buf = new byte[100_000];
                long got = 0;
                using var cts = new CancellationTokenSource(Timeout);
                while (true)
                {
                    int n = await stream.ReadAsync(buf, cts.Token);
                    if (n == 0)
                    {
                        break;
                    }

                    rh.AppendData(buf, 0, n);
                    got += n;
                }

                Assert.Equal(big, got);
                Assert.Equal(await send.WaitAsync(Timeout), rh.GetHashAndReset());

                // And 1 MiB our way up, in one write.
                byte[] up = Pattern.Instance.Chunk(99, 256 * 1024).ToArray();
                var kernelRead = Task.Run(async () =>
                {
                    var b = new byte[65536];
                    long total = 0;
                    int n;
                    while ((n = await k.ReceiveAsync(b)) > 0)
                    {
                        total += n;
                    }

                    return total;
                });
                for (int i = 0; i < 4; i++)
                {
                    await stream.WriteAsync(up).AsTask().WaitAsync(Timeout);
                }

                stream.ShutdownWrite();
                Assert.Equal(4 * up.Length, await kernelRead.WaitAsync(Timeout));

                // Passive open: the kernel's SYN to our listener, answered with our MSS.
                using var ourListener = rig.Stack.Listen(7000);
                using var client = rig.KernelSocket(family, SocketType.Stream, ProtocolType.Tcp);
                var ourAccept = ourListener.AcceptAsync().AsTask();
                await client.ConnectAsync(new IPEndPoint(ours, 7000)).WaitAsync(Timeout);
                await using var passive = await ourAccept.WaitAsync(Timeout);
                kernelMaxSegPassive = KernelTcpInfo.MaxSeg(client);

                // A large datagram from the kernel: fragmented to the MTU by the kernel, reassembled by us.
                using var udp = rig.Stack.BindUdp();
                using var kudp = rig.KernelSocket(family, SocketType.Dgram, ProtocolType.Udp);
                byte[] datagram = Pattern.Instance.Chunk(4242, 8000).ToArray();
                await kudp.SendToAsync(datagram, new IPEndPoint(ours, udp.Port));
                var ubuf = new byte[9000];
                var r = await udp.ReceiveFromAsync(ubuf).AsTask().WaitAsync(Timeout);
                Assert.Equal(datagram, ubuf.AsSpan(0, r.ReceivedBytes).ToArray());
            }

            var packets = PcapRecord.ReadAll(await File.ReadAllBytesAsync(pcap));
            var tcp = CapturedTcp.Read(pcap);
            var ourSyn = Assert.Single(tcp, t => t.Syn && !t.Ack && t.Source.Equals(ours));
            var ourSynAck = Assert.Single(tcp, t => t.Syn && t.Ack && t.Source.Equals(ours));
            var kernelSyns = tcp.Where(t => t.Syn && t.Source.Equals(kernel)).ToList();
            int maxIp = packets.Max(p => p.OriginalLength);
            int maxKernelPayload = tcp.Where(t => t.Source.Equals(kernel)).Max(t => t.PayloadLength);
            int fragments = packets.Count(p => IsFragment(p.Data));
            _out.WriteLine($"v6={v6}: our SYN MSS {ourSyn.Mss}, our SYN-ACK MSS {ourSynAck.Mss}, kernel SYN(-ACK) MSS {string.Join("/", kernelSyns.Select(s => s.Mss))}; " +
                $"kernel TCP_MAXSEG {kernelMaxSeg} (active) {kernelMaxSegPassive} (passive); largest packet {maxIp} B; largest kernel segment {maxKernelPayload} B; " +
                $"{packets.Count} packets, {fragments} IP fragments");
            Assert.Equal(expectedMss, ourSyn.Mss);
            Assert.Equal(expectedMss, ourSynAck.Mss);
            Assert.All(kernelSyns, s => Assert.Equal(expectedMss, s.Mss));
            Assert.Equal(expectedMss - 12, kernelMaxSeg); // MSS less the timestamp option
            Assert.Equal(expectedMss - 12, kernelMaxSegPassive);
            Assert.True(maxIp <= KernelRig.Mtu, $"a {maxIp}-byte packet crossed a {KernelRig.Mtu}-byte MTU");
            Assert.Equal(expectedMss - 12, maxKernelPayload); // the kernel filled segments to exactly what we allowed
            Assert.Equal(expectedMss - 12, tcp.Where(t => t.Source.Equals(ours)).Max(t => t.PayloadLength));
            Assert.True(fragments >= 6, "the 8000-byte datagram should have crossed as fragments");
        }
        finally
        {
            File.Delete(pcap);
        }
    }

    private static bool IsFragment(byte[] p) =>
        p[0] >> 4 == 4 ? (p[6] & 0x3F) != 0 || p[7] != 0 : p[6] == 44;
}
