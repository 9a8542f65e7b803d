using System.Buffers.Binary;
using Smolmix.Wire;

namespace Smolmix.Devnet.Exit;

/// <summary>What the exit needs to know about a client's IP packet.</summary>
/// <param name="Source">The source address (how the exit finds the client).</param>
/// <param name="Destination">The destination address.</param>
/// <param name="Protocol">The transport protocol.</param>
/// <param name="DestinationPort">The TCP/UDP destination port, or 0 for portless protocols.</param>
internal readonly record struct PacketInfo(IpAddr Source, IpAddr Destination, IpProtocol Protocol, int DestinationPort);

/// <summary>
/// Checks packets the way the exit does before forwarding them: they must parse as IPv4 or IPv6
/// and have a transport header (TCP, UDP, ICMP, ICMPv6 or any other protocol). Fragments carry
/// no transport header of their own and are rejected, as the exit's parser does (an inference
/// from its code path). Checksums are not verified.
/// </summary>
internal static class PacketInspector
{
    /// <summary>Reads the source, destination and destination port; false when the exit would drop the packet.</summary>
    public static bool TryInspect(ReadOnlySpan<byte> packet, out PacketInfo info)
    {
        info = default;
        if (packet.IsEmpty)
        {
            return false;
        }

        switch (packet[0] >> 4)
        {
            case 4:
            {
                if (packet.Length < Ipv4Header.MinLength)
                {
                    return false;
                }

                int ihl = (packet[0] & 0x0F) * 4;
                int total = BinaryPrimitives.ReadUInt16BigEndian(packet.Slice(2));
                if (ihl < Ipv4Header.MinLength || total < ihl || total > packet.Length)
                {
                    return false;
                }

                ushort flagsAndOffset = BinaryPrimitives.ReadUInt16BigEndian(packet.Slice(6));
                if ((flagsAndOffset & 0x3FFF) != 0)
                {
                    return false;
                }

                var protocol = (IpProtocol)packet[9];
                if (!TryReadPort(protocol, packet[ihl..total], out int port))
                {
                    return false;
                }

                info = new PacketInfo(IpAddr.FromV4(packet.Slice(12)), IpAddr.FromV4(packet.Slice(16)), protocol, port);
                return true;
            }

            case 6:
            {
                if (!Ipv6Header.TryParse(packet, out Ipv6Header header, out _) || header.IsFragment && (header.FragmentOffset != 0 || header.MoreFragments))
                {
                    return false;
                }

                if (!TryReadPort(header.Protocol, header.Payload, out int port))
                {
                    return false;
                }

                info = new PacketInfo(header.Source, header.Destination, header.Protocol, port);
                return true;
            }

            default:
                return false;
        }
    }

    /// <summary>Reads the destination address of a packet coming back from the egress (as the exit's return path does).</summary>
    public static bool TryReadDestination(ReadOnlySpan<byte> packet, out IpAddr destination)
    {
        destination = default;
        if (packet.IsEmpty)
        {
            return false;
        }

        switch (packet[0] >> 4)
        {
            case 4 when packet.Length >= 20:
                destination = IpAddr.FromV4(packet.Slice(16));
                return true;
            case 6 when packet.Length >= 40:
                destination = IpAddr.FromV6(packet.Slice(24));
                return true;
            default:
                return false;
        }
    }

    private static bool TryReadPort(IpProtocol protocol, ReadOnlySpan<byte> transport, out int port)
    {
        port = 0;
        switch (protocol)
        {
            case IpProtocol.Tcp:
                if (transport.Length < TcpHeader.MinLength)
                {
                    return false;
                }

                int offset = (transport[12] >> 4) * 4;
                if (offset < TcpHeader.MinLength || offset > transport.Length)
                {
                    return false;
                }

                port = BinaryPrimitives.ReadUInt16BigEndian(transport.Slice(2));
                return true;
            case IpProtocol.Udp:
                if (transport.Length < 8)
                {
                    return false;
                }

                port = BinaryPrimitives.ReadUInt16BigEndian(transport.Slice(2));
                return true;
            case IpProtocol.Icmp:
            case IpProtocol.Icmpv6:
                return transport.Length >= 8;
            default:
                return true;
        }
    }
}
