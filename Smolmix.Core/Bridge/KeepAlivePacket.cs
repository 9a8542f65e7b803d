using System.Buffers.Binary;
using System.Net;
using Smolmix.Wire;

namespace Smolmix.Bridge;

/// <summary>
/// The keepalive: an ICMP echo request from the tunnel's address to the exit's gateway
/// (10.0.0.1, the exit's TUN address, which answers echoes). It is a data packet, so it refreshes
/// the exit's inactivity timer (pings of the IPR protocol do not), and its reply proves that the
/// exit still routes for the session. Replies are recognised by identifier and payload and are not
/// passed to the stack.
/// </summary>
internal static class KeepAlivePacket
{
    /// <summary>The exit's gateway address.</summary>
    public static readonly IPAddress Gateway = IPAddress.Parse("10.0.0.1");

    private static ReadOnlySpan<byte> Marker => "smolmix-keepalive"u8;

    /// <summary>The length of a keepalive packet.</summary>
    public static int Length => Ipv4Header.MinLength + IcmpHeader.Length + Marker.Length;

    /// <summary>Writes a keepalive into <paramref name="destination"/>; returns its length.</summary>
    public static int Write(Span<byte> destination, IPAddress source, ushort identifier, ushort sequence)
    {
        IpAddr src = IpAddr.From(source);
        IpAddr dst = IpAddr.From(Gateway);
        int body = Marker.Length;
        Span<byte> icmp = destination.Slice(Ipv4Header.MinLength);
        Marker.CopyTo(icmp.Slice(IcmpHeader.Length));
        IcmpHeader.Write(icmp, v6: false, IcmpHeader.V4EchoRequest, 0, ((uint)identifier << 16) | sequence, body, src, dst);
        Ipv4Header.Write(destination, src, dst, IpProtocol.Icmp, IcmpHeader.Length + body, identification: sequence, ttl: 64, dontFragment: false);
        return Length;
    }

    /// <summary>True when <paramref name="packet"/> is the exit's reply to one of our keepalives.</summary>
    public static bool IsReply(ReadOnlySpan<byte> packet, ushort identifier)
    {
        if (packet.Length < Length || packet[0] != 0x45 || packet[9] != (byte)IpProtocol.Icmp)
        {
            return false;
        }

        ReadOnlySpan<byte> icmp = packet.Slice(Ipv4Header.MinLength);
        return icmp[0] == IcmpHeader.V4EchoReply
            && BinaryPrimitives.ReadUInt16BigEndian(icmp.Slice(4)) == identifier
            && icmp.Slice(IcmpHeader.Length).StartsWith(Marker);
    }
}
