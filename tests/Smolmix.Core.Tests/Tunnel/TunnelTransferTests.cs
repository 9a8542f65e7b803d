using System.Net;
using System.Security.Cryptography;
using Smolmix.Nym;
using Xunit.Abstractions;

namespace Smolmix.Tests.Tunnel;

public sealed class TunnelTransferTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(10, 1500, 4)]
    [InlineData(9, 1420, 4)]
    [InlineData(8, 1420, 4)]
    [InlineData(10, 1500, 16)]
    public async Task TcpEchoIsByteExactForEachProtocolVersion(byte version, int mtu, int mebibytes)
    {
        await using var net = new FakeMixnet();
        FakeInternetExit exit = net.AddExit(version);
        using var cts = new CancellationTokenSource(Bound * 2);
        InternetServers.StartTcp(exit.Internet, cts.Token);
        await using Smolmix.Tunnel tunnel = await Smolmix.Tunnel.ConnectAsync(net.Options(exit), cts.Token);

        Assert.Equal(TunnelState.Ready, tunnel.State);
        Assert.Equal(version, tunnel.ProtocolVersion);
        Assert.Equal(mtu, tunnel.Mtu);
        Assert.Equal(exit.ClientIpv4, tunnel.IPv4Address);
        Assert.Equal(exit.Address.ToString(), tunnel.Exit);

        byte[] data = RandomNumberGenerator.GetBytes(mebibytes << 20);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await using TcpStream stream = await tunnel.ConnectTcpAsync(InternetServers.EchoEndPoint, cts.Token);
        Task writer = Task.Run(async () =>
        {
            for (int offset = 0; offset < data.Length; offset += 64 * 1024)
            {
                await stream.WriteAsync(data.AsMemory(offset, Math.Min(64 * 1024, data.Length - offset)), cts.Token);
            }

            stream.ShutdownWrite();
        });
        byte[] received = new byte[data.Length];
        byte[] chunk = new byte[64 * 1024];
        int total = 0;
        while (true)
        {
            int n = await stream.ReadAsync(chunk, cts.Token);
            if (n == 0)
            {
                break;
            }

            Assert.True(total + n <= received.Length, "more bytes than sent");
            chunk.AsSpan(0, n).CopyTo(received.AsSpan(total));
            total += n;
        }

        await writer;
        Assert.Equal(data.Length, total);
        Assert.True(SHA256.HashData(data).AsSpan().SequenceEqual(SHA256.HashData(received)), "echoed bytes differ");
        output.WriteLine($"v{version}: {mebibytes} MiB echoed in {watch.Elapsed.TotalSeconds:0.00} s; messages {tunnel.Metrics.MessagesSent}, IP packets {tunnel.Metrics.IpPacketsSent}, Sphinx packets {tunnel.Metrics.SphinxPacketsSent}, SURBs {tunnel.Metrics.SurbsSent}, starved replies at exit {exit.StarvedReplies} of {exit.ReplyPackets}, exit got SURBs {exit.SurbsReceived}, reply packets seen {tunnel.Metrics.ReplySphinxPacketsReceived} in {tunnel.Metrics.RepliesReceived}");
        Assert.Equal(0, exit.UnknownSourceDrops);
    }

    [Fact]
    public async Task UdpDatagramsGoBothWays()
    {
        await using var net = new FakeMixnet();
        FakeInternetExit exit = net.AddExit();
        using var cts = new CancellationTokenSource(Bound);
        InternetServers.StartUdp(exit.Internet, cts.Token);
        await using Smolmix.Tunnel tunnel = await Smolmix.Tunnel.ConnectAsync(net.Options(exit), cts.Token);

        using UdpSocket socket = tunnel.BindUdp();
        var server = new IPEndPoint(IPAddress.Parse("198.51.100.53"), 53);
        var buffer = new byte[2048];
        for (int i = 0; i < 20; i++)
        {
            byte[] datagram = RandomNumberGenerator.GetBytes(1 + (i * 61 % 1300));
            await socket.SendToAsync(datagram, server, cts.Token);
            UdpReceiveFromResult result = await socket.ReceiveFromAsync(buffer, cts.Token);
            Assert.Equal(server, result.RemoteEndPoint);
            Assert.Equal(datagram, buffer.AsSpan(0, result.ReceivedBytes).ToArray());
        }
    }

    [Fact]
    public async Task TcpWorksOverIpv6()
    {
        await using var net = new FakeMixnet();
        FakeInternetExit exit = net.AddExit(10);
        using var cts = new CancellationTokenSource(Bound);
        InternetServers.StartTcp(exit.Internet, cts.Token);
        await using Smolmix.Tunnel tunnel = await Smolmix.Tunnel.ConnectAsync(net.Options(exit), cts.Token);
        Assert.NotNull(tunnel.IPv6Address);

        await using TcpStream stream = await tunnel.ConnectTcpAsync(new IPEndPoint(IPAddress.Parse("2001:db8::7"), 7), cts.Token);
        Assert.Equal(tunnel.IPv6Address, stream.LocalEndPoint.Address);
        byte[] data = RandomNumberGenerator.GetBytes(200_000);
        await stream.WriteAsync(data, cts.Token);
        stream.ShutdownWrite();
        var received = new MemoryStream();
        await stream.CopyToAsync(received, cts.Token);
        Assert.Equal(data, received.ToArray());
    }

    [Fact]
    public async Task MetricsArePublishedOnTheTunnelMeter()
    {
        await using var net = new FakeMixnet();
        FakeInternetExit exit = net.AddExit(10);
        using var cts = new CancellationTokenSource(Bound);
        await using Smolmix.Tunnel tunnel = await Smolmix.Tunnel.ConnectAsync(net.Options(exit), cts.Token);
        await tunnel.PingAsync(IPAddress.Parse("10.0.0.1"), cts.Token);

        var seen = new Dictionary<string, long>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Smolmix.Tunnel")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => seen[instrument.Name] = value);
        listener.Start();
        listener.RecordObservableInstruments();

        Assert.True(seen["smolmix.tunnel.ip_packets_sent"] >= 1);
        Assert.True(seen["smolmix.tunnel.ip_packets_received"] >= 1);
        Assert.True(seen["smolmix.tunnel.surbs_sent"] >= 20);
        Assert.True(seen["smolmix.tunnel.sphinx_packets_sent"] >= 1);
        Assert.Contains("smolmix.tunnel.keepalives_sent", seen.Keys);
        Assert.Contains("smolmix.tunnel.reconnects", seen.Keys);
    }

    [Fact]
    public async Task PingReachesTheExitGateway()
    {
        await using var net = new FakeMixnet();
        FakeInternetExit exit = net.AddExit();
        using var cts = new CancellationTokenSource(Bound);
        await using Smolmix.Tunnel tunnel = await Smolmix.Tunnel.ConnectAsync(net.Options(exit), cts.Token);
        TimeSpan rtt = await tunnel.PingAsync(IPAddress.Parse("10.0.0.1"), cts.Token);
        Assert.True(rtt >= TimeSpan.Zero);
    }
}
