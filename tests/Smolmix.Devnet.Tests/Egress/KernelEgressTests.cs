using System.Net;
using System.Net.Sockets;
using Smolmix.Tests.Infrastructure;
using Smolmix.Devnet.Tests.Support;
using Smolmix.Nym;
using Xunit.Abstractions;

namespace Smolmix.Devnet.Tests.Egress;

/// <summary>
/// The same client exchanges through kernel egress: a TUN device in a Devnet-made network
/// namespace, the Linux kernel routing to services that live in that namespace. Needs root.
/// </summary>
public sealed class KernelEgressTests(ITestOutputHelper output)
{
    private static readonly IPAddress PublicV4 = IPAddress.Parse("192.0.2.10");
    private static readonly IPAddress PublicV6 = IPAddress.Parse("2001:db8::10");

    [SkippableFact]
    public async Task TcpUdpAndPing_ReachServicesInTheEgressNamespace()
    {
        Skip.IfNot(Root.IsRoot, $"kernel egress needs root: {Root.WhyNotRoot}");
        await using Devnet devnet = await TestDevnet.StartAsync(DevnetPreset.Instant, o => o.Egress = DevnetEgressMode.Kernel);
        Assert.NotNull(devnet.EgressNamespace);
        devnet.AddEgressAddress(PublicV4);
        devnet.AddEgressAddress(PublicV6);
        await using HostServices v4 = devnet.RunInEgressNamespace(() => HostServices.Start(PublicV4));
        await using HostServices v6 = devnet.RunInEgressNamespace(() => HostServices.Start(PublicV6));
        await using TunnelClient client = await TunnelClient.ConnectAsync(devnet, IprVersion.V10);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        TimeSpan elapsed = await client.EchoTcpAsync(v4.Tcp, 256 * 1024, cts.Token);
        output.WriteLine($"kernel egress, instant: 256 KiB echoed in {elapsed.TotalSeconds:0.00} s");
        await client.EchoTcpAsync(v6.Tcp, 64 * 1024, cts.Token);
        Assert.Equal(v4.Udp, await client.EchoUdpAsync(v4.Udp, cts.Token));
        Assert.Equal(v6.Udp, await client.EchoUdpAsync(v6.Udp, cts.Token));
        TimeSpan rtt = await client.Stack.PingAsync(PublicV4, TimeSpan.FromSeconds(10), cancellationToken: cts.Token);
        Assert.True(rtt < TimeSpan.FromSeconds(10));

        // The kernel answers a SYN to a closed port with a RST.
        SocketException refused = await Assert.ThrowsAsync<SocketException>(() => client.Stack.ConnectTcpAsync(new IPEndPoint(PublicV4, 9), TimeSpan.FromSeconds(20), cts.Token));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        Assert.True(devnet.Counters.Exit.PacketsFromEgress > 0);
    }

    [SkippableFact]
    public async Task TcpEcho_OnTheNymPreset_ThroughTheKernel()
    {
        Skip.IfNot(Root.IsRoot, $"kernel egress needs root: {Root.WhyNotRoot}");
        await using Devnet devnet = await TestDevnet.StartAsync(DevnetPreset.Nym, o => o.Egress = DevnetEgressMode.Kernel);
        devnet.AddEgressAddress(PublicV4);
        await using HostServices services = devnet.RunInEgressNamespace(() => HostServices.Start(PublicV4));
        await using TunnelClient client = await TunnelClient.ConnectAsync(devnet);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        TimeSpan elapsed = await client.EchoTcpAsync(services.Tcp, 64 * 1024, cts.Token);
        output.WriteLine($"kernel egress, nym preset: 64 KiB echoed in {elapsed.TotalSeconds:0.00} s");
    }

    [Fact]
    public async Task KernelEgress_WithoutRoot_FailsClearly()
    {
        if (Root.IsRoot)
        {
            return; // covered by the tests above
        }

        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => TestDevnet.StartAsync(DevnetPreset.Instant, o => o.Egress = DevnetEgressMode.Kernel));
    }
}
