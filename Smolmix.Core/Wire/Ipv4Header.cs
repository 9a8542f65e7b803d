using System.Buffers.Binary;

namespace Smolmix.Wire;

/// <summary>A validated view over an IPv4 header (RFC 791). Options are skipped, not interpreted.</summary>
internal readonly ref struct Ipv4Header
{
    /// <summary>Minimum header length.</summary>
    public const int MinLength = 20;

    private readonly ReadOnlySpan<byte> _packet;

    private Ipv4Header(ReadOnlySpan<byte> packet)
    {
        _packet = packet;
    }

    /// <summary>Header length in bytes (IHL × 4).</summary>
    public int HeaderLength => (_packet[0] & 0x0F) * 4;

    /// <summary>Total length field.</summary>
    public int TotalLength => BinaryPrimitives.ReadUInt16BigEndian(_packet[2..]);

    /// <summary>Identification field.</summary>
    public ushort Identification => BinaryPrimitives.ReadUInt16BigEndian(_packet[4..]);

    /// <summary>DF flag.</summary>
    public bool DontFragment => (_packet[6] & 0x40) != 0;

    /// <summary>MF flag.</summary>
    public bool MoreFragments => (_packet[6] & 0x20) != 0;

    /// <summary>Fragment offset in bytes.</summary>
    public int FragmentOffset => (BinaryPrimitives.ReadUInt16BigEndian(_packet[6..]) & 0x1FFF) * 8;

    /// <summary>True if this packet is a fragment (MF set or non-zero offset).</summary>
    public bool IsFragment => MoreFragments || FragmentOffset != 0;

    /// <summary>Time to live.</summary>
    public byte Ttl => _packet[8];

    /// <summary>Protocol number.</summary>
    public IpProtocol Protocol => (IpProtocol)_packet[9];

    /// <summary>Source address.</summary>
    public IpAddr Source => IpAddr.FromV4(_packet[12..]);

    /// <summary>Destination address.</summary>
    public IpAddr Destination => IpAddr.FromV4(_packet[16..]);

    /// <summary>The header bytes including options.</summary>
    public ReadOnlySpan<byte> HeaderBytes => _packet[..HeaderLength];

    /// <summary>The payload (up to the total length; trailing link padding excluded).</summary>
    public ReadOnlySpan<byte> Payload => _packet[HeaderLength..TotalLength];

    /// <summary>Parses and validates version, IHL, total length and header checksum.</summary>
    public static bool TryParse(ReadOnlySpan<byte> packet, out Ipv4Header header, out DropReason reason)
    {
        header = default;
        if (packet.Length < MinLength)
        {
            reason = DropReason.Truncated;
            return false;
        }
        if (packet[0] >> 4 != 4)
        {
            reason = DropReason.BadVersion;
            return false;
        }
        int ihl = (packet[0] & 0x0F) * 4;
        if (ihl < MinLength)
        {
            reason = DropReason.BadHeaderLength;
            return false;
        }
        int total = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        if (total < ihl)
        {
            reason = DropReason.BadLength;
            return false;
        }
        if (total > packet.Length || ihl > packet.Length)
        {
            reason = DropReason.Truncated;
            return false;
        }
        if (InternetChecksum.Compute(packet[..ihl]) != 0)
        {
            reason = DropReason.BadChecksum;
            return false;
        }
        header = new Ipv4Header(packet);
        reason = DropReason.None;
        return true;
    }

    /// <summary>
    /// Writes a 20-byte IPv4 header (no options) with a valid checksum.
    /// </summary>
    /// <returns>The header length (20).</returns>
    public static int Write(Span<byte> destination, in IpAddr source, in IpAddr dest, IpProtocol protocol,
        int payloadLength, ushort identification, byte ttl = 64, bool dontFragment = true,
        bool moreFragments = false, int fragmentOffset = 0)
    {
        destination[0] = 0x45;
        destination[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)(MinLength + payloadLength));
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], identification);
        ushort flagsFrag = (ushort)((fragmentOffset / 8) & 0x1FFF);
        if (dontFragment)
        {
            flagsFrag |= 0x4000;
        }
        if (moreFragments)
        {
            flagsFrag |= 0x2000;
        }
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], flagsFrag);
        destination[8] = ttl;
        destination[9] = (byte)protocol;
        destination[10] = 0;
        destination[11] = 0;
        source.WriteTo(destination[12..]);
        dest.WriteTo(destination[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(destination[10..], InternetChecksum.Compute(destination[..MinLength]));
        return MinLength;
    }
}
