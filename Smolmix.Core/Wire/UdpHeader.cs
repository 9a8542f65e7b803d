using System.Buffers.Binary;

namespace Smolmix.Wire;

/// <summary>A validated view over a UDP datagram (RFC 768).</summary>
internal readonly ref struct UdpHeader
{
    /// <summary>Header length.</summary>
    public const int Length = 8;

    private readonly ReadOnlySpan<byte> _datagram;

    private UdpHeader(ReadOnlySpan<byte> datagram) => _datagram = datagram;

    /// <summary>Source port.</summary>
    public ushort SourcePort => BinaryPrimitives.ReadUInt16BigEndian(_datagram);

    /// <summary>Destination port.</summary>
    public ushort DestinationPort => BinaryPrimitives.ReadUInt16BigEndian(_datagram[2..]);

    /// <summary>The payload.</summary>
    public ReadOnlySpan<byte> Payload => _datagram[Length..];

    /// <summary>Parses and validates length and checksum (a zero checksum is accepted on IPv4 only).</summary>
    public static bool TryParse(ReadOnlySpan<byte> datagram, in IpAddr source, in IpAddr destination,
        out UdpHeader header, out DropReason reason)
    {
        header = default;
        if (datagram.Length < Length)
        {
            reason = DropReason.Truncated;
            return false;
        }
        int len = BinaryPrimitives.ReadUInt16BigEndian(datagram[4..]);
        if (len < Length || len > datagram.Length)
        {
            reason = DropReason.BadLength;
            return false;
        }
        datagram = datagram[..len];
        ushort check = BinaryPrimitives.ReadUInt16BigEndian(datagram[6..]);
        if (check == 0 && source.IsV6)
        {
            reason = DropReason.BadChecksum;
            return false;
        }
        if (check != 0)
        {
            ulong sum = InternetChecksum.PseudoHeader(source, destination, IpProtocol.Udp, len);
            if (InternetChecksum.Finish(InternetChecksum.Add(datagram, sum)) != 0)
            {
                reason = DropReason.BadChecksum;
                return false;
            }
        }
        header = new UdpHeader(datagram);
        reason = DropReason.None;
        return true;
    }

    /// <summary>Writes the 8-byte header; the payload must already follow it. Returns 8.</summary>
    public static int Write(Span<byte> destination, ushort sourcePort, ushort destinationPort, int payloadLength,
        in IpAddr source, in IpAddr dest)
    {
        int len = Length + payloadLength;
        BinaryPrimitives.WriteUInt16BigEndian(destination, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], (ushort)len);
        destination[6] = 0;
        destination[7] = 0;
        ushort c = InternetChecksum.Finish(InternetChecksum.Add(destination[..len], InternetChecksum.PseudoHeader(source, dest, IpProtocol.Udp, len)));
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], c == 0 ? (ushort)0xFFFF : c);
        return Length;
    }
}
