using System.Net;
using PacketDotNet;

namespace Smolmix.Devnet.Tests.Support;

/// <summary>Hand-made IP packets (PacketDotNet) for poking the exit without a client stack.</summary>
internal static class TestPackets
{
    public static byte[] Udp(IPAddress source, IPAddress destination, ushort sourcePort, ushort destinationPort, byte[] payload)
    {
        var udp = new UdpPacket(sourcePort, destinationPort) { PayloadData = payload };
        if (source.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            var ip6 = new IPv6Packet(source, destination) { PayloadPacket = udp, HopLimit = 64 };
            udp.UpdateUdpChecksum();
            return ip6.Bytes;
        }

        var ip = new IPv4Packet(source, destination) { PayloadPacket = udp, TimeToLive = 64 };
        udp.UpdateUdpChecksum();
        ip.UpdateIPChecksum();
        return ip.Bytes;
    }

    public static byte[] TcpSyn(IPAddress source, IPAddress destination, ushort sourcePort, ushort destinationPort, uint sequence = 1000)
    {
        var tcp = new TcpPacket(sourcePort, destinationPort) { Synchronize = true, SequenceNumber = sequence, WindowSize = 65535, DataOffset = 5 };
        var ip = new IPv4Packet(source, destination) { PayloadPacket = tcp, TimeToLive = 64 };
        tcp.UpdateTcpChecksum();
        ip.UpdateIPChecksum();
        return ip.Bytes;
    }
}
