using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Smolmix.Tests.Devices;
using Xunit.Abstractions;

namespace Smolmix.Tests.Interop;

/// <summary>Connects that fail against the Linux kernel: refused by a RST, timed out on silence.</summary>
[Collection(InteropCollection.Name)]
public class ConnectFailureInteropTests
{
    private readonly ITestOutputHelper _out;

    public ConnectFailureInteropTests(ITestOutputHelper output) => _out = output;

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ConnectToAClosedKernelPort_IsRefusedWithinAboutOneRtt(bool v6)
    {
        Skip.If(KernelRig.WhyNot is not null, $"needs root, /dev/net/tun and ip: {KernelRig.WhyNot}");
        await using var rig = KernelRig.Create();

        // Measure the path's RTT with a connect that succeeds, then connect to a port nobody listens on.
        using (var listener = rig.KernelListener(v6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork))
        {
            var sw0 = Stopwatch.StartNew();
            await using var ok = await rig.Stack.ConnectTcpAsync((IPEndPoint)listener.LocalEndPoint!, TimeSpan.FromSeconds(5));
            _out.WriteLine($"v6={v6}: successful connect in {sw0.Elapsed.TotalMilliseconds:0.0} ms");
        }

        var closed = new IPEndPoint(v6 ? KernelRig.KernelV6 : KernelRig.KernelV4, 9);
        var sw = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<SocketException>(() => rig.Stack.ConnectTcpAsync(closed, TimeSpan.FromSeconds(5)));
        var elapsed = sw.Elapsed;
        _out.WriteLine($"v6={v6}: refused after {elapsed.TotalMilliseconds:0.0} ms ({e.SocketErrorCode})");
        Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
        Assert.True(elapsed < TimeSpan.FromMilliseconds(500), $"refusal took {elapsed.TotalMilliseconds:0} ms; the RTT here is about a millisecond");
        Assert.Equal(0, rig.Stack.ConnectionCount);
    }

    [SkippableFact]
    public async Task ConnectToASilentAddress_TimesOutAtTheConfiguredConnectTimeout()
    {
        Skip.If(KernelRig.WhyNot is not null, $"needs root, /dev/net/tun and ip: {KernelRig.WhyNot}");
        string pcap = Path.Combine(Path.GetTempPath(), $"smx-silent-{Guid.NewGuid():N}.pcap");
        try
        {
            var options = new StackOptions { ConnectTimeout = TimeSpan.FromSeconds(3), SynRto = TimeSpan.FromSeconds(1) };
            await using (var rig = KernelRig.Create(pcapPath: pcap, options: options))
            {
                // 10.78.0.99 is in the namespace's subnet but nobody has it: the kernel does not forward
                // (ip_forward is 0 in a new namespace), so it drops our SYNs without an ICMP error.
                Assert.Equal("0", rig.NsExec("cat", "/proc/sys/net/ipv4/ip_forward", TimeSpan.FromSeconds(5)).Output.Trim());
                var sw = Stopwatch.StartNew();
                var e = await Assert.ThrowsAsync<SocketException>(() => rig.Stack.ConnectTcpAsync(new IPEndPoint(KernelRig.SilentV4, 80)));
                var elapsed = sw.Elapsed;
                _out.WriteLine($"timed out after {elapsed.TotalSeconds:0.00} s ({e.SocketErrorCode}); SYN retransmissions {rig.Stack.Metrics.TcpRetransmits}");
                Assert.Equal(SocketError.TimedOut, e.SocketErrorCode);
                Assert.InRange(elapsed, TimeSpan.FromSeconds(2.9), TimeSpan.FromSeconds(4));
                Assert.True(rig.Stack.Metrics.TcpRetransmits >= 1, "the SYN should have been retransmitted at least once within 3 s (SYN RTO 1 s)");
            }

            // The kernel stayed silent: nothing but our SYNs (and its own IPv6 housekeeping) crossed the TUN.
            var records = PcapRecord.ReadAll(await File.ReadAllBytesAsync(pcap));
            var v4 = records.Where(r => r.Data[0] >> 4 == 4).ToList();
            Assert.NotEmpty(v4);
            Assert.All(v4, r => Assert.Equal(KernelRig.StackV4, new IPAddress(r.Data.AsSpan(12, 4))));
            Assert.All(v4, r => Assert.Equal(6, r.Data[9])); // TCP SYNs only, no ICMP from the kernel
        }
        finally
        {
            File.Delete(pcap);
        }
    }
}
