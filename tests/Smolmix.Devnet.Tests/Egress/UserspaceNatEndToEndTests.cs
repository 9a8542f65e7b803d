using System.Net;
using System.Net.Sockets;
using Smolmix.Devnet.Tests.Support;
using Smolmix.Stack;
using Smolmix.Nym;
using Xunit.Abstractions;

namespace Smolmix.Devnet.Tests.Egress;

/// <summary>
/// A second NetStack as the client, through the Devnet's nym-client endpoint, mixnet and exit, to
/// real loopback services via the userspace NAT.
/// </summary>
public sealed class UserspaceNatEndToEndTests(ITestOutputHelper output)
{
    private static readonly IPAddress PublicV4 = IPAddress.Parse("192.0.2.10");
    private static readonly IPAddress PublicV6 = IPAddress.Parse("2001:db8::10");

    [Theory]
    [InlineData(DevnetPreset.Instant, IprVersion.V9, 256 * 1024)]
    [InlineData(DevnetPreset.Instant, IprVersion.V8, 64 * 1024)]
    [InlineData(DevnetPreset.Instant, IprVersion.V10, 64 * 1024)]
    [InlineData(DevnetPreset.Nym, IprVersion.V9, 128 * 1024)]
    [InlineData(DevnetPreset.Harsh, IprVersion.V9, 64 * 1024)]
    public async Task TcpEcho_ReachesALoopbackServer_ThroughAMappedPublicAddress(DevnetPreset preset, byte version, int length)
    {
        await using HostServices services = HostServices.Start(IPAddress.Loopback);
        await using Devnet devnet = await TestDevnet.StartAsync(preset, o => o.AddressMap[new IPEndPoint(PublicV4, 7)] = services.Tcp);
        await using TunnelClient client = await TunnelClient.ConnectAsync(devnet, version);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        TimeSpan elapsed = await client.EchoTcpAsync(new IPEndPoint(PublicV4, 7), length, cts.Token);
        output.WriteLine($"{preset} v{version}: {length / 1024} KiB echoed in {elapsed.TotalSeconds:0.00} s ({2 * length / 1024.0 / elapsed.TotalSeconds:0} KiB/s both ways; connect {client.ConnectTime.TotalMilliseconds:0} ms)");
        output.WriteLine(devnet.Counters.Mixnet.ToString());
        StackMetrics m = client.Stack.Metrics;
        var nat = ((Smolmix.Devnet.Egress.UserspaceNatEgress)devnet.Egress).Stack.Metrics;
        output.WriteLine($"client stack: out {m.PacketsOut} in {m.PacketsIn} retransmits {m.TcpRetransmits} RTOs {m.TcpTimeouts} TLPs {m.TcpTailLossProbes} zero-window probes {m.TcpZeroWindowProbes} drops {m.TotalDrops}");
        output.WriteLine($"NAT stack: out {nat.PacketsOut} in {nat.PacketsIn} retransmits {nat.TcpRetransmits} RTOs {nat.TcpTimeouts} TLPs {nat.TcpTailLossProbes} zero-window probes {nat.TcpZeroWindowProbes} drops {nat.TotalDrops}");

        // Data responses run 1, 2, 3, … on the stream (v8 has no stream: all 0). The mixnet reorders messages, so
        // when the echo completes a reply sent before the last one may still be in flight (the last ACKs and the
        // FIN follow the data): wait, at most 10 s, for the numbers to have no gap.
        List<uint> sequences = Sequences();
        using (var settle = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            while (version != IprVersion.V8 && devnet.Counters.Mixnet.MessagesLost == 0
                && sequences.Count > 0 && sequences.Max() > sequences.Count && !settle.IsCancellationRequested)
            {
                await Task.Delay(50, CancellationToken.None);
                sequences = Sequences();
            }
        }

        Assert.NotEmpty(sequences);
        if (version == IprVersion.V8)
        {
            Assert.All(sequences, s => Assert.Equal(0u, s));
        }
        else if (devnet.Counters.Mixnet.MessagesLost == 0)
        {
            Assert.Equal(Enumerable.Range(1, sequences.Count).Select(i => (uint)i), sequences.Order());
        }
        else
        {
            // A lossy preset loses some replies (data responses are never retransmitted): the numbers
            // still count up from 1 without repeats; the gaps are the lost messages.
            Assert.Equal(sequences.Count, sequences.Distinct().Count());
            Assert.All(sequences, s => Assert.InRange(s, 1u, (uint)(sequences.Count + devnet.Counters.Mixnet.MessagesLost)));
        }

        Assert.Equal(1, services.TcpConnections);

        List<uint> Sequences()
        {
            lock (client.Device.DataSequences)
            {
                return [.. client.Device.DataSequences];
            }
        }
    }

    [Theory]
    [InlineData(DevnetPreset.Instant, 10, 1024 * 1024)]
    [InlineData(DevnetPreset.Nym, 10, 256 * 1024)]
    [InlineData(DevnetPreset.Nym, 2, 256 * 1024)]
    public async Task Download_Throughput(DevnetPreset preset, uint surbs, int length)
    {
        using Socket listener = HostServices.CreateTcp(IPAddress.Loopback);
        byte[] data = System.Security.Cryptography.RandomNumberGenerator.GetBytes(length);
        Task server = Task.Run(async () =>
        {
            using Socket peer = await listener.AcceptAsync();
            await peer.SendAsync(data, SocketFlags.None);
            peer.Shutdown(SocketShutdown.Send);
            await peer.ReceiveAsync(new byte[1], SocketFlags.None);
        });
        await using Devnet devnet = await TestDevnet.StartAsync(preset, o => o.AddressMap[new IPEndPoint(PublicV4, 80)] = (IPEndPoint)listener.LocalEndPoint!);
        await using TunnelClient client = await TunnelClient.ConnectAsync(devnet, IprVersion.V9, surbs);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        long start = TimeProvider.System.GetTimestamp();
        await using (TcpStream tcp = await client.Stack.ConnectTcpAsync(new IPEndPoint(PublicV4, 80), TimeSpan.FromSeconds(30), cts.Token))
        {
            using var received = new MemoryStream();
            await tcp.CopyToAsync(received, cts.Token);
            Assert.Equal(data, received.ToArray());
        }

        TimeSpan elapsed = TimeProvider.System.GetElapsedTime(start);
        await server.WaitAsync(cts.Token);
        MixnetCounters m = devnet.Counters.Mixnet;
        output.WriteLine($"{preset}, {surbs} SURBs per message: {length / 1024} KiB downloaded in {elapsed.TotalSeconds:0.00} s = {length / 1024.0 / elapsed.TotalSeconds:0} KiB/s; "
            + $"{m.SurbsReceived} SURBs received, {m.SurbsConsumed} used, {m.SurbRequests} requests, {m.RepliesDeferred} replies deferred; queueing {m.QueueingDelay}");
    }

    [Fact]
    public async Task TcpEcho_OverIpv6_AndToAnUnmappedLoopbackAddress()
    {
        await using HostServices services = HostServices.Start(IPAddress.Loopback);
        await using Devnet devnet = await TestDevnet.StartAsync(DevnetPreset.Instant, o => o.AddressMap[new IPEndPoint(PublicV6, 0)] = new IPEndPoint(IPAddress.Loopback, 0));
        await using TunnelClient client = await TunnelClient.ConnectAsync(devnet);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await client.EchoTcpAsync(new IPEndPoint(PublicV6, services.Tcp.Port), 32 * 1024, cts.Token);
        await client.EchoTcpAsync(services.Tcp, 32 * 1024, cts.Token);
    }

    [Fact]
    public async Task UdpEcho_AnswersFromTheAddressTheClientUsed()
    {
        await using HostServices services = HostServices.Start(IPAddress.Loopback);
        await using Devnet devnet = await TestDevnet.StartAsync(DevnetPreset.Nym, o => o.AddressMap[new IPEndPoint(PublicV4, 53)] = services.Udp);
        await using TunnelClient client = await TunnelClient.ConnectAsync(devnet);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        IPEndPoint from = await client.EchoUdpAsync(new IPEndPoint(PublicV4, 53), cts.Token);
        Assert.Equal(new IPEndPoint(PublicV4, 53), from);
    }

    [Fact]
    public async Task ConnectToAClosedPort_IsRefused()
    {
        int closed = HostServices.ClosedPort();
        await using Devnet devnet = await TestDevnet.StartAsync(DevnetPreset.Instant, o => o.AddressMap[new IPEndPoint(PublicV4, 9)] = new IPEndPoint(IPAddress.Loopback, closed));
        await using TunnelClient client = await TunnelClient.ConnectAsync(devnet);
        SocketException refused = await Assert.ThrowsAsync<SocketException>(() => client.Stack.ConnectTcpAsync(new IPEndPoint(PublicV4, 9), TimeSpan.FromSeconds(20)));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);

        // Non-loopback destinations are refused too unless allowed.
        SocketException outside = await Assert.ThrowsAsync<SocketException>(() => client.Stack.ConnectTcpAsync(new IPEndPoint(IPAddress.Parse("198.51.100.1"), 80), TimeSpan.FromSeconds(20)));
        Assert.Equal(SocketError.ConnectionRefused, outside.SocketErrorCode);
    }

    [Fact]
    public async Task Ping_AnyAddress_IsAnswered()
    {
        await using Devnet devnet = await TestDevnet.StartAsync(DevnetPreset.Instant);
        await using TunnelClient client = await TunnelClient.ConnectAsync(devnet);
        TimeSpan rtt = await client.Stack.PingAsync(IPAddress.Parse("192.0.2.99"), TimeSpan.FromSeconds(10));
        Assert.True(rtt < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task ExitPolicyRejection_IsReportedWithAnInfoMessage()
    {
        await using Devnet devnet = await TestDevnet.StartAsync(DevnetPreset.Instant, o => o.ExitPolicy = ExitPolicy.Parse("reject 192.0.2.20/32:25"));
        await using TunnelClient client = await TunnelClient.ConnectAsync(devnet);
        using var cts = new CancellationTokenSource(TestDevnet.Timeout);
        Task<TcpStream> attempt = client.Stack.ConnectTcpAsync(new IPEndPoint(IPAddress.Parse("192.0.2.20"), 25), TimeSpan.FromSeconds(3));
        IprEnvelope<IprResponse> envelope = await client.Device.Control.Reader.ReadAsync(cts.Token);
        IprInfoResponse info = Assert.IsType<IprInfoResponse>(envelope.Message);
        Assert.Equal(0UL, info.Id);
        Assert.Equal(IprInfoLevel.Warn, info.Level);
        Assert.Equal("192.0.2.20:25", Assert.IsType<IprInfoExitPolicyFilterCheckFailed>(info.Reply).Destination);
        Assert.Equal(0u, envelope.Sequence);
        Hex.Equal("0901050002" + "0d" + Hex.Of("192.0.2.20:25"u8) + "01", info.ToArray());
        await Assert.ThrowsAnyAsync<Exception>(() => attempt);
        Assert.True(devnet.Counters.Exit.DropsFor(ExitDropReason.ExitPolicy) >= 1);
    }

    [Fact]
    public async Task PacketsFromUnallocatedSources_AreDropped()
    {
        await using Devnet devnet = await TestDevnet.StartAsync(DevnetPreset.Instant);
        await using IprProbe probe = await IprProbe.ConnectAsync(devnet);
        IprConnectSuccess connected = await probe.ConnectAsync();
        byte[] spoofed = TestPackets.Udp(IPAddress.Parse("10.0.99.99"), PublicV4, 1000, 53, [1, 2, 3]);
        byte[] garbage = [0x45, 0, 0, 5];
        byte[] bundle = [.. PacketBundle.EncodeOne(spoofed), .. PacketBundle.EncodeOne(garbage)];
        await probe.SendFramedAsync(new IprDataRequest(IprVersion.V9, bundle).ToArray(), 1);
        await probe.AssertNextIsPongAsync();
        Assert.Equal(1, devnet.Counters.Exit.DropsFor(ExitDropReason.UnknownSource));
        Assert.Equal(1, devnet.Counters.Exit.DropsFor(ExitDropReason.InvalidPacket));
        Assert.Equal(0, devnet.Counters.Exit.PacketsToEgress);
        Assert.NotNull(connected);
    }
}
