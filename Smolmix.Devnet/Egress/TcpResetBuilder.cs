using System.Buffers.Binary;
using Smolmix.Wire;

namespace Smolmix.Devnet.Egress;

/// <summary>Builds the RST|ACK a host answers a SYN to a closed port with, for the client that sent the SYN.</summary>
internal static class TcpResetBuilder
{
    /// <summary>
    /// Reads a client packet; true when it is a TCP SYN without ACK (a connection attempt), with its
    /// addresses, ports and the sequence number the reset must acknowledge.
    /// </summary>
    public static bool TryReadSyn(ReadOnlySpan<byte> packet, out IpAddr source, out ushort sourcePort, out IpAddr destination, out ushort destinationPort, out uint acknowledge)
    {
        if (TryReadTcp(packet, out source, out sourcePort, out destination, out destinationPort, out TcpFlags flags, out uint sequence, out int payload)
            && (flags & (TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Rst)) == TcpFlags.Syn)
        {
            acknowledge = sequence + 1 + (uint)payload;
            return true;
        }

        acknowledge = 0;
        return false;
    }

    /// <summary>
    /// Reads the addresses, ports, flags, sequence number and payload length of a TCP segment in an
    /// unfragmented IPv4 or IPv6 packet; false for anything else.
    /// </summary>
    public static bool TryReadTcp(ReadOnlySpan<byte> packet, out IpAddr source, out ushort sourcePort, out IpAddr destination, out ushort destinationPort, out TcpFlags flags, out uint sequence, out int payload)
    {
        source = destination = default;
        sourcePort = destinationPort = 0;
        flags = default;
        sequence = 0;
        payload = 0;
        ReadOnlySpan<byte> segment;
        if (packet.Length >= 20 && packet[0] >> 4 == 4)
        {
            if (!Ipv4Header.TryParse(packet, out Ipv4Header ip, out _) || ip.Protocol != IpProtocol.Tcp || ip.IsFragment)
            {
                return false;
            }

            source = ip.Source;
            destination = ip.Destination;
            segment = ip.Payload;
        }
        else if (packet.Length >= 40 && packet[0] >> 4 == 6)
        {
            if (!Ipv6Header.TryParse(packet, out Ipv6Header ip, out _) || ip.Protocol != IpProtocol.Tcp || ip.IsFragment)
            {
                return false;
            }

            source = ip.Source;
            destination = ip.Destination;
            segment = ip.Payload;
        }
        else
        {
            return false;
        }

        if (segment.Length < TcpHeader.MinLength)
        {
            return false;
        }

        flags = (TcpFlags)segment[13];
        int headerLength = (segment[12] >> 4) * 4;
        payload = Math.Max(0, segment.Length - headerLength);
        sourcePort = BinaryPrimitives.ReadUInt16BigEndian(segment);
        destinationPort = BinaryPrimitives.ReadUInt16BigEndian(segment.Slice(2));
        sequence = BinaryPrimitives.ReadUInt32BigEndian(segment.Slice(4));
        return true;
    }

    /// <summary>A RST|ACK from <paramref name="from"/>:<paramref name="fromPort"/> to <paramref name="to"/>:<paramref name="toPort"/> acknowledging <paramref name="acknowledge"/>.</summary>
    public static byte[] Build(IpAddr from, ushort fromPort, IpAddr to, ushort toPort, uint acknowledge)
    {
        int ipLength = from.IsV6 ? Ipv6Header.FixedLength : Ipv4Header.MinLength;
        var packet = new byte[ipLength + TcpHeader.MinLength];
        TcpOptions none = TcpOptions.Empty;
        TcpHeader.Write(packet.AsSpan(ipLength), fromPort, toPort, 0, acknowledge, TcpFlags.Rst | TcpFlags.Ack, 0, none, 0, from, to);
        if (from.IsV6)
        {
            Ipv6Header.Write(packet, from, to, IpProtocol.Tcp, TcpHeader.MinLength);
        }
        else
        {
            Ipv4Header.Write(packet, from, to, IpProtocol.Tcp, TcpHeader.MinLength, 0);
        }

        return packet;
    }
}
