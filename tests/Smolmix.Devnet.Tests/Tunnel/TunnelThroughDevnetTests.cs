using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Smolmix.Devnet.Tests.Support;
using Xunit.Abstractions;
using DevnetHost = Smolmix.Devnet.Devnet;

namespace Smolmix.Devnet.Tests.Tunnel;

/// <summary>
/// The client side as users see it — <see cref="Smolmix.Tunnel"/> and nothing else — through the Devnet's
/// nym-client endpoint, mixnet model and IPR exit, to services on loopback (userspace NAT egress).
/// </summary>
public sealed class TunnelThroughDevnetTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);
    private readonly ITestOutputHelper _out;

    public TunnelThroughDevnetTests(ITestOutputHelper output) => _out = output;

    private static TunnelOptions Options(DevnetHost devnet, params int[] versions) => new()
    {
        NymClient = devnet.NymClientUri,
        Exits = [devnet.ExitAddress],
        ProtocolVersions = versions.Length > 0 ? versions : [10, 9, 8],
        ConnectTimeout = TimeSpan.FromSeconds(60),
    };

    [Theory]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(10)]
    public async Task SixteenMiB_TcpEcho_AndUdp_AreByteExact_ForEachVersion(int version)
    {
        using var cts = new CancellationTokenSource(Limit);
        await using var devnet = await TestDevnet.StartAsync(DevnetPreset.Instant);
        await using var services = HostServices.Start(IPAddress.Loopback);
        await using var tunnel = await Smolmix.Tunnel.ConnectAsync(Options(devnet, version), cts.Token);
        Assert.Equal(TunnelState.Ready, tunnel.State);
        Assert.Equal(version, tunnel.ProtocolVersion);

        var sw = Stopwatch.StartNew();
        await using var tcp = await tunnel.ConnectTcpAsync(services.Tcp, cts.Token);
        var data = RandomNumberGenerator.GetBytes(16 << 20);
        var send = Task.Run(async () =>
        {
            await tcp.WriteAsync(data, cts.Token);
            tcp.ShutdownWrite();
        });
        var back = new MemoryStream();
        await tcp.CopyToAsync(back, cts.Token);
        await send;
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(back.ToArray()));
        _out.WriteLine($"v{version}: 16 MiB echoed in {sw.Elapsed.TotalSeconds:0.0} s through the Devnet (instant preset)");

        using var udp = tunnel.BindUdp();
        var buf = new byte[2048];
        for (int i = 0; i < 5; i++)
        {
            byte[] msg = RandomNumberGenerator.GetBytes(100 + (i * 200));
            await udp.SendToAsync(msg, services.Udp, cts.Token);
            var r = await udp.ReceiveFromAsync(buf, cts.Token);
            Assert.True(buf.AsSpan(0, r.ReceivedBytes).SequenceEqual(msg));
            Assert.Equal(services.Udp, r.RemoteEndPoint);
        }
    }

    /// <summary>
    /// Under the <c>nym</c> preset (20 ms Poisson sending, 15 ms per mix hop, link latencies), a small TCP
    /// request/response takes as long as on the real mixnet: its median and 90th percentile lie in 0.3–2 s.
    /// The distribution is printed.
    /// </summary>
    [Fact]
    public async Task NymPreset_SmallTcpExchange_RoundTripIsInTheMixnetBand()
    {
        using var cts = new CancellationTokenSource(Limit);
        await using var devnet = await TestDevnet.StartAsync(DevnetPreset.Nym);
        await using var services = HostServices.Start(IPAddress.Loopback);
        await using var tunnel = await Smolmix.Tunnel.ConnectAsync(Options(devnet), cts.Token);
        await using var tcp = await tunnel.ConnectTcpAsync(services.Tcp, cts.Token);
        var rtts = new List<double>();
        var buf = new byte[64];
        for (int i = 0; i < 25; i++)
        {
            byte[] msg = RandomNumberGenerator.GetBytes(64);
            var sw = Stopwatch.StartNew();
            await tcp.WriteAsync(msg, cts.Token);
            int got = 0;
            while (got < msg.Length)
            {
                int n = await tcp.ReadAsync(buf.AsMemory(got), cts.Token);
                Assert.True(n > 0);
                got += n;
            }
            rtts.Add(sw.Elapsed.TotalSeconds);
            Assert.True(buf.AsSpan().SequenceEqual(msg));
        }
        rtts.Sort();
        double P(double q) => rtts[(int)Math.Min(rtts.Count - 1, Math.Round(q * (rtts.Count - 1)))];
        _out.WriteLine($"nym preset, 64-byte request/response, {rtts.Count} exchanges: min {P(0):0.000} s, p10 {P(0.1):0.000}, " +
            $"median {P(0.5):0.000}, p90 {P(0.9):0.000}, max {P(1):0.000} s");
        Assert.InRange(P(0.5), 0.3, 2.0);
        Assert.InRange(P(0.9), 0.3, 2.0);
        Assert.InRange(P(0), 0.2, 2.0);
    }

    /// <summary>
    /// A 1 MiB HTTP-sized download: the Sphinx packets the client sends with our bundling and adaptive
    /// SURBs, against the anchor's scheme (one IP packet per message with 10 reply SURBs, which puts every
    /// packet, even a bare ACK, into at least 3 Sphinx packets: 10 × 460 B of SURBs exceed two 1.6 KB payloads).
    /// </summary>
    [Fact]
    public async Task OneMiBDownload_SendsAtLeastThreeTimesFewerSphinxPacketsThanTheAnchorScheme()
    {
        using var cts = new CancellationTokenSource(Limit);
        await using var devnet = await TestDevnet.StartAsync(DevnetPreset.Nym);
        using var server = HostServices.CreateTcp(IPAddress.Loopback);
        const int size = 1 << 20;
        byte[] body = RandomNumberGenerator.GetBytes(size);
        var serve = Task.Run(async () =>
        {
            using Socket c = await server.AcceptAsync(cts.Token);
            var req = new byte[1024];
            int n = await c.ReceiveAsync(req, SocketFlags.None, cts.Token);
            Assert.True(n > 0);
            await c.SendAsync(System.Text.Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n"), SocketFlags.None, cts.Token);
            await c.SendAsync(body, SocketFlags.None, cts.Token);
            c.Shutdown(SocketShutdown.Send);
        });
        await using var tunnel = await Smolmix.Tunnel.ConnectAsync(Options(devnet), cts.Token);
        long packets0 = tunnel.Metrics.IpPacketsSent, sphinx0 = tunnel.Metrics.SphinxPacketsSent, messages0 = tunnel.Metrics.MessagesSent;
        var sw = Stopwatch.StartNew();
        await using var tcp = await tunnel.ConnectTcpAsync((IPEndPoint)server.LocalEndPoint!, cts.Token);
        await tcp.WriteAsync("GET /file HTTP/1.1\r\nHost: example\r\n\r\n"u8.ToArray(), cts.Token);
        var received = new MemoryStream();
        await tcp.CopyToAsync(received, cts.Token);
        await serve;
        var all = received.ToArray();
        int headerEnd = all.AsSpan().IndexOf("\r\n\r\n"u8) + 4;
        Assert.Equal(SHA256.HashData(body), SHA256.HashData(all.AsSpan(headerEnd)));
        long ipPackets = tunnel.Metrics.IpPacketsSent - packets0;
        long ours = tunnel.Metrics.SphinxPacketsSent - sphinx0;
        long messages = tunnel.Metrics.MessagesSent - messages0;
        long anchor = 3 * ipPackets;
        _out.WriteLine($"1 MiB in {sw.Elapsed.TotalSeconds:0.0} s under the nym preset: client sent {ipPackets} IP packets in {messages} messages = " +
            $"{ours} Sphinx packets (ours) vs ≥ {anchor} with one packet per message and 10 SURBs each: {(double)anchor / ours:0.0}× fewer");
        Assert.True(anchor >= 3 * ours, $"ours {ours} vs anchor ≥ {anchor}");
    }
}
