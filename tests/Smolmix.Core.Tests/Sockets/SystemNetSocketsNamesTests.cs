using System.Net;
using System.Net.Sockets;
using Smolmix;
using Smolmix.Devices;

// Deliberately outside the Smolmix namespace: inside it, Smolmix's own names would win over the usings.
namespace ApplicationCode;

/// <summary>
/// Most networking programs have <c>using System.Net.Sockets;</c>; with <c>using Smolmix;</c> beside it, no
/// type name may be ambiguous (CS0104). This file has both usings, as an application would, so it
/// stops compiling if a Smolmix type takes a System.Net.Sockets name again.
/// </summary>
public sealed class SystemNetSocketsNamesTests
{
    [Fact]
    public async Task Smolmix_and_System_Net_Sockets_types_are_used_side_by_side()
    {
        (IPacketDevice first, IPacketDevice second) = InMemoryPacketLink.CreatePair();
        await using NetStack server = NetStack.Start(first, IPAddress.Parse("10.0.0.1"));
        await using NetStack client = NetStack.Start(second, IPAddress.Parse("10.0.0.2"));
        using TcpStreamListener listener = server.Listen(80);
        using UdpSocket udp = server.BindUdp(53);

        var system = new TcpListener(IPAddress.Loopback, 0);
        UdpReceiveResult systemResult = default;
        UdpReceiveFromResult smolmixResult = default;

        Assert.Equal(80, listener.Port);
        Assert.Equal("System.Net.Sockets", system.GetType().Namespace);
        Assert.Equal("System.Net.Sockets", systemResult.GetType().Namespace);
        Assert.Equal("Smolmix", smolmixResult.GetType().Namespace);
    }
}
