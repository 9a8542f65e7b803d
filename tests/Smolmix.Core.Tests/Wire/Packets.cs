using Smolmix.Wire;

namespace Smolmix.Tests.Wire;

/// <summary>Builds test packets with the wire layer's own writers.</summary>
internal static class Packets
{
    public static readonly IpAddr V4A = IpAddr.Parse("192.0.2.1");
    public static readonly IpAddr V4B = IpAddr.Parse("198.51.100.7");
    public static readonly IpAddr V6A = IpAddr.Parse("2001:db8::1");
    public static readonly IpAddr V6B = IpAddr.Parse("2001:db8:1::2");

    public static int IpHeaderLength(in IpAddr a) => a.IsV6 ? Ipv6Header.FixedLength : Ipv4Header.MinLength;

    public static void WriteIp(Span<byte> b, in IpAddr src, in IpAddr dst, IpProtocol protocol, int payloadLength,
        ushort id = 0x1234, bool dontFragment = false, byte ttl = 64)
    {
        if (src.IsV6)
        {
            Ipv6Header.Write(b, src, dst, protocol, payloadLength, ttl);
        }
        else
        {
            Ipv4Header.Write(b, src, dst, protocol, payloadLength, id, ttl, dontFragment);
        }
    }

    public static byte[] Tcp(in IpAddr src, in IpAddr dst, ushort sp, ushort dp, uint seq, uint ack, TcpFlags flags,
        ushort window, in TcpOptions options, ReadOnlySpan<byte> payload, ushort id = 0x1234)
    {
        int ip = IpHeaderLength(src);
        int tcpLength = TcpHeader.MinLength + options.EncodedLength + payload.Length;
        var b = new byte[ip + tcpLength];
        payload.CopyTo(b.AsSpan(ip + TcpHeader.MinLength + options.EncodedLength));
        TcpHeader.Write(b.AsSpan(ip), sp, dp, seq, ack, flags, window, options, payload.Length, src, dst);
        WriteIp(b, src, dst, IpProtocol.Tcp, tcpLength, id);
        return b;
    }

    public static byte[] Udp(in IpAddr src, in IpAddr dst, ushort sp, ushort dp, ReadOnlySpan<byte> payload,
        ushort id = 0x1234, bool dontFragment = false)
    {
        int ip = IpHeaderLength(src);
        var b = new byte[ip + UdpHeader.Length + payload.Length];
        payload.CopyTo(b.AsSpan(ip + UdpHeader.Length));
        UdpHeader.Write(b.AsSpan(ip), sp, dp, payload.Length, src, dst);
        WriteIp(b, src, dst, IpProtocol.Udp, UdpHeader.Length + payload.Length, id, dontFragment);
        return b;
    }

    /// <summary>A UDP datagram alone (header and payload), checksummed for the given addresses.</summary>
    public static byte[] UdpDatagram(in IpAddr src, in IpAddr dst, ushort sp, ushort dp, ReadOnlySpan<byte> payload)
    {
        var b = new byte[UdpHeader.Length + payload.Length];
        payload.CopyTo(b.AsSpan(UdpHeader.Length));
        UdpHeader.Write(b, sp, dp, payload.Length, src, dst);
        return b;
    }

    public static byte[] Echo(in IpAddr src, in IpAddr dst, bool request, ushort ident, ushort seq, ReadOnlySpan<byte> body)
    {
        bool v6 = src.IsV6;
        int ip = IpHeaderLength(src);
        var b = new byte[ip + IcmpHeader.Length + body.Length];
        body.CopyTo(b.AsSpan(ip + IcmpHeader.Length));
        byte type = v6 ? (request ? IcmpHeader.V6EchoRequest : IcmpHeader.V6EchoReply)
            : (request ? IcmpHeader.V4EchoRequest : IcmpHeader.V4EchoReply);
        IcmpHeader.Write(b.AsSpan(ip), v6, type, 0, (uint)ident << 16 | seq, body.Length, src, dst);
        WriteIp(b, src, dst, v6 ? IpProtocol.Icmpv6 : IpProtocol.Icmp, IcmpHeader.Length + body.Length);
        return b;
    }

    /// <summary>
    /// An IPv6 packet with the given extension headers (each as (kind, total length in bytes, multiple of 8))
    /// before an upper-layer payload of raw bytes.
    /// </summary>
    public static byte[] V6WithExtensions(IpProtocol upper, ReadOnlySpan<byte> upperBytes, params (IpProtocol Kind, int Length)[] headers)
    {
        int extLength = 0;
        foreach ((IpProtocol _, int len) in headers)
        {
            extLength += len;
        }
        var b = new byte[Ipv6Header.FixedLength + extLength + upperBytes.Length];
        IpProtocol first = headers.Length > 0 ? headers[0].Kind : upper;
        Ipv6Header.Write(b, V6A, V6B, first, extLength + upperBytes.Length);
        int at = Ipv6Header.FixedLength;
        for (int i = 0; i < headers.Length; i++)
        {
            IpProtocol next = i + 1 < headers.Length ? headers[i + 1].Kind : upper;
            b[at] = (byte)next;
            b[at + 1] = headers[i].Kind == IpProtocol.Ipv6Fragment ? (byte)0 : (byte)(headers[i].Length / 8 - 1);
            for (int j = 2; j < headers[i].Length; j++)
            {
                b[at + j] = headers[i].Kind == IpProtocol.Ipv6Fragment ? (byte)0 : (byte)1; // PadN-ish filler.
            }
            if (headers[i].Kind != IpProtocol.Ipv6Fragment)
            {
                // PadN option covering the rest of the header: type 1, length len-4.
                b[at + 2] = 1;
                b[at + 3] = (byte)(headers[i].Length - 4);
                b.AsSpan(at + 4, headers[i].Length - 4).Clear();
            }
            at += headers[i].Length;
        }
        upperBytes.CopyTo(b.AsSpan(at));
        return b;
    }

    public static byte[] RandomBytes(int length, int seed)
    {
        var b = new byte[length];
        new Random(seed).NextBytes(b);
        return b;
    }

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
}
