using System.Buffers.Binary;

namespace Smolmix.Wire;

/// <summary>A validated view over a TCP segment (header, options, payload).</summary>
internal readonly ref struct TcpHeader
{
    /// <summary>Minimum header length.</summary>
    public const int MinLength = 20;

    private readonly ReadOnlySpan<byte> _segment;

    private TcpHeader(ReadOnlySpan<byte> segment) => _segment = segment;

    /// <summary>Source port.</summary>
    public ushort SourcePort => BinaryPrimitives.ReadUInt16BigEndian(_segment);

    /// <summary>Destination port.</summary>
    public ushort DestinationPort => BinaryPrimitives.ReadUInt16BigEndian(_segment[2..]);

    /// <summary>Sequence number.</summary>
    public uint SequenceNumber => BinaryPrimitives.ReadUInt32BigEndian(_segment[4..]);

    /// <summary>Acknowledgment number.</summary>
    public uint AcknowledgmentNumber => BinaryPrimitives.ReadUInt32BigEndian(_segment[8..]);

    /// <summary>Header length in bytes.</summary>
    public int HeaderLength => (_segment[12] >> 4) * 4;

    /// <summary>Flags.</summary>
    public TcpFlags Flags => (TcpFlags)_segment[13];

    /// <summary>Raw (unscaled) window.</summary>
    public ushort Window => BinaryPrimitives.ReadUInt16BigEndian(_segment[14..]);

    /// <summary>Urgent pointer.</summary>
    public ushort UrgentPointer => BinaryPrimitives.ReadUInt16BigEndian(_segment[18..]);

    /// <summary>The options area.</summary>
    public ReadOnlySpan<byte> OptionBytes => _segment[MinLength..HeaderLength];

    /// <summary>The payload.</summary>
    public ReadOnlySpan<byte> Payload => _segment[HeaderLength..];

    /// <summary>Parses a segment and verifies its checksum against the pseudo-header.</summary>
    public static bool TryParse(ReadOnlySpan<byte> segment, in IpAddr source, in IpAddr destination,
        out TcpHeader header, out DropReason reason)
    {
        header = default;
        if (segment.Length < MinLength)
        {
            reason = DropReason.Truncated;
            return false;
        }
        int hl = (segment[12] >> 4) * 4;
        if (hl < MinLength || hl > segment.Length)
        {
            reason = DropReason.BadHeaderLength;
            return false;
        }
        ulong sum = InternetChecksum.PseudoHeader(source, destination, IpProtocol.Tcp, segment.Length);
        if (InternetChecksum.Finish(InternetChecksum.Add(segment, sum)) != 0)
        {
            reason = DropReason.BadChecksum;
            return false;
        }
        header = new TcpHeader(segment);
        reason = DropReason.None;
        return true;
    }

    /// <summary>
    /// Writes a TCP header with options at the start of <paramref name="destination"/>. The payload must
    /// already sit right after the header (at <c>20 + options.EncodedLength</c>) so the checksum covers it.
    /// </summary>
    /// <returns>The header length.</returns>
    public static int Write(Span<byte> destination, ushort sourcePort, ushort destinationPort, uint seq, uint ack,
        TcpFlags flags, ushort window, in TcpOptions options, int payloadLength, in IpAddr source, in IpAddr dest)
    {
        int hl = MinLength + options.WriteTo(destination[MinLength..]);
        BinaryPrimitives.WriteUInt16BigEndian(destination, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], seq);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], ack);
        destination[12] = (byte)((hl / 4) << 4);
        destination[13] = (byte)flags;
        BinaryPrimitives.WriteUInt16BigEndian(destination[14..], window);
        destination[16] = 0;
        destination[17] = 0;
        destination[18] = 0;
        destination[19] = 0;
        int total = hl + payloadLength;
        ulong sum = InternetChecksum.PseudoHeader(source, dest, IpProtocol.Tcp, total);
        BinaryPrimitives.WriteUInt16BigEndian(destination[16..], InternetChecksum.Finish(InternetChecksum.Add(destination[..total], sum)));
        return hl;
    }
}
