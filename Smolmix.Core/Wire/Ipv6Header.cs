using System.Buffers.Binary;

namespace Smolmix.Wire;

/// <summary>
/// A validated view over an IPv6 packet (RFC 8200) with its extension headers walked:
/// hop-by-hop, routing and destination options are skipped; a fragment header is reported.
/// </summary>
internal readonly ref struct Ipv6Header
{
    /// <summary>Fixed header length.</summary>
    public const int FixedLength = 40;

    /// <summary>Fragment extension header length.</summary>
    public const int FragmentHeaderLength = 8;

    private const int MaxExtensionHeaders = 16;

    private readonly ReadOnlySpan<byte> _packet;
    private readonly int _payloadEnd;

    private Ipv6Header(ReadOnlySpan<byte> packet, int payloadEnd, int upperOffset, IpProtocol upper,
        int fragmentHeaderOffset, int unfragmentableEnd)
    {
        _packet = packet;
        _payloadEnd = payloadEnd;
        UpperLayerOffset = upperOffset;
        Protocol = upper;
        FragmentHeaderOffset = fragmentHeaderOffset;
        UnfragmentableEnd = unfragmentableEnd;
    }

    /// <summary>Hop limit.</summary>
    public byte HopLimit => _packet[7];

    /// <summary>Source address.</summary>
    public IpAddr Source => IpAddr.FromV6(_packet[8..]);

    /// <summary>Destination address.</summary>
    public IpAddr Destination => IpAddr.FromV6(_packet[24..]);

    /// <summary>The upper-layer protocol after all extension headers (or after the fragment header).</summary>
    public IpProtocol Protocol { get; }

    /// <summary>Offset of the upper-layer header (or of the fragmentable part, for a fragment).</summary>
    public int UpperLayerOffset { get; }

    /// <summary>Offset of the fragment header, or -1.</summary>
    public int FragmentHeaderOffset { get; }

    /// <summary>End of the unfragmentable part (where a fragment header starts), or the upper-layer offset.</summary>
    public int UnfragmentableEnd { get; }

    /// <summary>True if a fragment header is present.</summary>
    public bool IsFragment => FragmentHeaderOffset >= 0;

    /// <summary>Fragment offset in bytes (fragments only).</summary>
    public int FragmentOffset => BinaryPrimitives.ReadUInt16BigEndian(_packet[(FragmentHeaderOffset + 2)..]) & 0xFFF8;

    /// <summary>M flag (fragments only).</summary>
    public bool MoreFragments => (_packet[FragmentHeaderOffset + 3] & 1) != 0;

    /// <summary>Fragment identification (fragments only).</summary>
    public uint FragmentId => BinaryPrimitives.ReadUInt32BigEndian(_packet[(FragmentHeaderOffset + 4)..]);

    /// <summary>Bytes from the upper-layer offset to the end of the payload.</summary>
    public ReadOnlySpan<byte> Payload => _packet[UpperLayerOffset.._payloadEnd];

    /// <summary>The whole packet up to the payload length (link padding excluded).</summary>
    public ReadOnlySpan<byte> Packet => _packet[.._payloadEnd];

    /// <summary>Parses the fixed header and walks extension headers.</summary>
    public static bool TryParse(ReadOnlySpan<byte> packet, out Ipv6Header header, out DropReason reason)
    {
        header = default;
        if (packet.Length < FixedLength)
        {
            reason = DropReason.Truncated;
            return false;
        }
        if (packet[0] >> 4 != 6)
        {
            reason = DropReason.BadVersion;
            return false;
        }
        int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
        int end = FixedLength + payloadLength;
        if (end > packet.Length)
        {
            reason = DropReason.Truncated;
            return false;
        }
        var next = (IpProtocol)packet[6];
        int offset = FixedLength;
        int fragOffset = -1;
        int unfragEnd = -1;
        for (int count = 0; ; count++)
        {
            if (count > MaxExtensionHeaders)
            {
                reason = DropReason.BadOption;
                return false;
            }
            switch (next)
            {
                case IpProtocol.HopByHop when count == 0:
                case IpProtocol.Ipv6Routing:
                case IpProtocol.Ipv6DestinationOptions:
                    if (offset + 8 > end)
                    {
                        reason = DropReason.Truncated;
                        return false;
                    }
                    int len = (packet[offset + 1] + 1) * 8;
                    if (offset + len > end)
                    {
                        reason = DropReason.Truncated;
                        return false;
                    }
                    next = (IpProtocol)packet[offset];
                    offset += len;
                    continue;
                case IpProtocol.HopByHop:
                    // Hop-by-hop is only allowed first (RFC 8200 §4.1).
                    reason = DropReason.BadOption;
                    return false;
                case IpProtocol.Ipv6Fragment:
                    if (fragOffset >= 0)
                    {
                        reason = DropReason.BadFragment;
                        return false;
                    }
                    if (offset + FragmentHeaderLength > end)
                    {
                        reason = DropReason.Truncated;
                        return false;
                    }
                    fragOffset = offset;
                    unfragEnd = offset;
                    next = (IpProtocol)packet[offset];
                    offset += FragmentHeaderLength;
                    // Headers after a fragment header belong to the fragmentable part: stop walking
                    // unless this is an atomic fragment (offset 0, M=0), which is a whole packet.
                    if ((BinaryPrimitives.ReadUInt16BigEndian(packet[(fragOffset + 2)..]) & 0xFFF9) != 0)
                    {
                        header = new Ipv6Header(packet, end, offset, next, fragOffset, unfragEnd);
                        reason = DropReason.None;
                        return true;
                    }
                    continue;
                default:
                    header = new Ipv6Header(packet, end, offset, next, fragOffset, unfragEnd < 0 ? offset : unfragEnd);
                    reason = DropReason.None;
                    return true;
            }
        }
    }

    /// <summary>Writes a 40-byte IPv6 header; returns 40.</summary>
    public static int Write(Span<byte> destination, in IpAddr source, in IpAddr dest, IpProtocol nextHeader,
        int payloadLength, byte hopLimit = 64, uint flowLabel = 0)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, 0x6000_0000u | (flowLabel & 0xFFFFF));
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], (ushort)payloadLength);
        destination[6] = (byte)nextHeader;
        destination[7] = hopLimit;
        source.WriteTo(destination[8..]);
        dest.WriteTo(destination[24..]);
        return FixedLength;
    }

    /// <summary>Writes an 8-byte fragment header; returns 8.</summary>
    public static int WriteFragmentHeader(Span<byte> destination, IpProtocol nextHeader, int fragmentOffset,
        bool moreFragments, uint identification)
    {
        destination[0] = (byte)nextHeader;
        destination[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)((fragmentOffset & 0xFFF8) | (moreFragments ? 1 : 0)));
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], identification);
        return FragmentHeaderLength;
    }
}
