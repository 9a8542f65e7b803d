using System.Net;
using System.Net.Sockets;
using PacketDotNet;
using Smolmix.Devices;
using Smolmix.Tests.Infrastructure;

namespace Smolmix.Tests.Devices;

public class TunDeviceTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static string TunName() => $"smx{Convert.ToHexStringLower(Guid.NewGuid().ToByteArray(), 0, 4)}";

    [Theory]
    [InlineData("")]
    [InlineData("a-name-that-is-too-long")]
    [InlineData("has space")]
    [InlineData("sl/ash")]
    public void Create_RejectsInvalidNames(string name)
    {
        Assert.ThrowsAny<ArgumentException>(() => TunDevice.Create(name));
    }

    [SkippableFact]
    public async Task Dispose_UnblocksAPendingRead_Promptly()
    {
        Skip.IfNot(Root.IsRoot, $"needs root: {Root.WhyNotRoot}");
        var tun = TunDevice.Create(TunName());
        var pending = tun.ReadAsync(new byte[2000]).AsTask();
        await Task.Delay(20);
        Assert.False(pending.IsCompleted);
        long start = TimeProvider.System.GetTimestamp();
        await tun.DisposeAsync();
        Assert.Equal(0, await pending.WaitAsync(TimeSpan.FromSeconds(2)));
        Assert.True(TimeProvider.System.GetElapsedTime(start) < TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await tun.WriteAsync(new byte[20]));
    }

    [SkippableFact]
    public async Task Read_IsCancellable()
    {
        Skip.IfNot(Root.IsRoot, $"needs root: {Root.WhyNotRoot}");
        await using var tun = TunDevice.Create(TunName());
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => tun.ReadAsync(new byte[2000], cts.Token).AsTask().WaitAsync(Timeout));
    }

    [SkippableFact]
    public async Task Create_WithATakenName_ThrowsIOException()
    {
        Skip.IfNot(Root.IsRoot, $"needs root: {Root.WhyNotRoot}");
        string name = TunName();
        await using var tun = TunDevice.Create(name);
        Assert.Equal(name, tun.Name);
        IpCommand.Run($"link set {name} up"); // an interface that is up cannot be re-attached
        var e = Assert.Throws<IOException>(() => TunDevice.Create(name));
        Assert.Contains(name, e.Message);
    }

    [SkippableFact]
    public async Task UdpDatagrams_CrossTheTun_InBothDirections()
    {
        Skip.IfNot(Root.IsRoot, $"needs root: {Root.WhyNotRoot}");
        using var ns = NetNamespace.Create("smxtest");
        await using var tun = TunDevice.Create(TunName(), mtu: 1420);
        Assert.Equal(1420, tun.Mtu);
        IpCommand.Run($"link set {tun.Name} netns {ns.Name}");
        ns.Exec($"addr add 10.77.0.1/24 dev {tun.Name}");
        ns.Exec($"link set {tun.Name} mtu 1420 up");

        using var socket = ns.Run(() =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
            s.Bind(new IPEndPoint(IPAddress.Parse("10.77.0.1"), 0));
            return s;
        });
        socket.ReceiveTimeout = (int)Timeout.TotalMilliseconds;
        int localPort = ((IPEndPoint)socket.LocalEndPoint!).Port;

        // Kernel -> TUN: the datagram the namespace sends to 10.77.0.2 comes out of the device.
        var payload = "hello through the tun"u8.ToArray();
        socket.SendTo(payload, new IPEndPoint(IPAddress.Parse("10.77.0.2"), 9999));
        var udp = await ReadUdpAsync(tun, 9999);
        var ip = (IPv4Packet)udp.ParentPacket;
        Assert.Equal(IPAddress.Parse("10.77.0.1"), ip.SourceAddress);
        Assert.Equal(IPAddress.Parse("10.77.0.2"), ip.DestinationAddress);
        Assert.Equal(localPort, udp.SourcePort);
        Assert.Equal(payload, udp.PayloadData);
        Assert.True(ip.ValidIPChecksum);

        // TUN -> kernel: a crafted datagram from 10.77.0.2 reaches the namespace's socket.
        var reply = "and back again"u8.ToArray();
        await tun.WriteAsync(PcapWriterTests.UdpPacket("10.77.0.2", "10.77.0.1", 9999, (ushort)localPort, reply)).AsTask().WaitAsync(Timeout);
        var received = new byte[2000];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        int n = socket.ReceiveFrom(received, ref from);
        Assert.Equal(reply, received[..n]);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("10.77.0.2"), 9999), from);
    }

    /// <summary>Reads packets until an IPv4 UDP packet to <paramref name="port"/> arrives (skipping e.g. IPv6 router solicitations).</summary>
    private static async Task<UdpPacket> ReadUdpAsync(IPacketDevice device, int port)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var buffer = new byte[65536];
        while (true)
        {
            int n = await device.ReadAsync(buffer, cts.Token);
            Assert.NotEqual(0, n);
            var packet = Packet.ParsePacket(LinkLayers.Raw, buffer[..n]);
            if (packet.Extract<IPv4Packet>() is not null && packet.Extract<UdpPacket>() is { } udp && udp.DestinationPort == port)
            {
                return udp;
            }
        }
    }
}
