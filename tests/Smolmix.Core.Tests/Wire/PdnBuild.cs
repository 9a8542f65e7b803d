using System.Buffers.Binary;
using System.Net;
using PacketDotNet;
using PacketDotNet.Utils;

namespace Smolmix.Tests.Wire;

/// <summary>Builds packets with PacketDotNet, the independent oracle.</summary>
internal static class PdnBuild
{
    public static IPPacket Ip(IPAddress src, IPAddress dst) =>
        src.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? new IPv6Packet(src, dst) : new IPv4Packet(src, dst);

    /// <summary>A TCP segment in an IP packet, with raw option bytes (a multiple of 4 long).</summary>
    public static byte[] Tcp(IPAddress src, IPAddress dst, ushort sp, ushort dp, uint seq, uint ack, ushort flags,
        ushort window, byte[] options, byte[] payload)
    {
        // PacketDotNet 1.4.8 can only overwrite options in a header already sized for them.
        var header = new byte[20 + options.Length];
        header[12] = (byte)(header.Length / 4 << 4);
        var tcp = new TcpPacket(new ByteArraySegment(header))
        {
            SourcePort = sp,
            DestinationPort = dp,
            SequenceNumber = seq,
            AcknowledgmentNumber = ack,
            WindowSize = window,
            Flags = flags,
        };
        if (options.Length > 0)
        {
            tcp.Options = options;
        }
        tcp.PayloadData = payload;
        IPPacket ip = Ip(src, dst);
        ip.PayloadPacket = tcp;
        ip.UpdateCalculatedValues();
        tcp.UpdateTcpChecksum();
        if (ip is IPv4Packet v4)
        {
            v4.UpdateIPChecksum();
        }
        return ip.Bytes;
    }

    public static byte[] Udp(IPAddress src, IPAddress dst, ushort sp, ushort dp, byte[] payload)
    {
        var udp = new UdpPacket(sp, dp) { PayloadData = payload };
        IPPacket ip = Ip(src, dst);
        ip.PayloadPacket = udp;
        ip.UpdateCalculatedValues();
        udp.UpdateUdpChecksum();
        if (ip is IPv4Packet v4)
        {
            v4.UpdateIPChecksum();
        }
        return ip.Bytes;
    }

    public static byte[] EchoV4(IPAddress src, IPAddress dst, bool request, ushort id, ushort seq, byte[] data)
    {
        var icmp = new IcmpV4Packet(new ByteArraySegment(new byte[8]))
        {
            TypeCode = request ? IcmpV4TypeCode.EchoRequest : IcmpV4TypeCode.EchoReply,
            Id = id,
            Sequence = seq,
            Data = data,
        };
        var ip = new IPv4Packet(src, dst) { PayloadPacket = icmp };
        icmp.UpdateIcmpChecksum();
        ip.UpdateCalculatedValues();
        ip.UpdateIPChecksum();
        return ip.Bytes;
    }

    public static byte[] EchoV6(IPAddress src, IPAddress dst, bool request, ushort id, ushort seq, byte[] data)
    {
        // IcmpV6Packet has no echo fields: lay out id/seq/data, let it set the type and checksum.
        var raw = new byte[8 + data.Length];
        BinaryPrimitives.WriteUInt16BigEndian(raw.AsSpan(4), id);
        BinaryPrimitives.WriteUInt16BigEndian(raw.AsSpan(6), seq);
        data.CopyTo(raw, 8);
        var icmp = new IcmpV6Packet(new ByteArraySegment(raw))
        {
            Type = request ? IcmpV6Type.EchoRequest : IcmpV6Type.EchoReply,
        };
        var ip = new IPv6Packet(src, dst) { PayloadPacket = icmp };
        ip.UpdateCalculatedValues();
        icmp.UpdateIcmpChecksum();
        byte[] bytes = ip.Bytes;

        // PacketDotNet 1.4.8 writes a wrong ICMPv6 checksum (its own parser then rejects it), so fill it in
        // with the tests' naive reference implementation and check that PacketDotNet's parser agrees.
        var pseudo = new byte[40 + raw.Length];
        src.GetAddressBytes().CopyTo(pseudo, 0);
        dst.GetAddressBytes().CopyTo(pseudo, 16);
        BinaryPrimitives.WriteUInt32BigEndian(pseudo.AsSpan(32), (uint)raw.Length);
        pseudo[39] = 58;
        bytes.AsSpan(40).CopyTo(pseudo.AsSpan(40));
        pseudo[42] = 0;
        pseudo[43] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(42), InternetChecksumTests.Naive(pseudo));
        var check = new IPv6Packet(new ByteArraySegment(bytes));
        if (check.PayloadPacket is not IcmpV6Packet { ValidIcmpChecksum: true })
        {
            throw new InvalidOperationException("PacketDotNet rejects the ICMPv6 checksum");
        }
        return bytes;
    }
}
