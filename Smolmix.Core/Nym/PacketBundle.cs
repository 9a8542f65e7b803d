using System.Buffers.Binary;

namespace Smolmix.Nym;

/// <summary>
/// The bundle format (Nym's MultiIpPacketCodec) that carries IP packets inside IPR data
/// messages: zero or more <c>[u16 big-endian length][packet]</c> records, no header, no count.
/// </summary>
internal static class PacketBundle
{
    /// <summary>The size of each record's length prefix.</summary>
    public const int LengthPrefixSize = 2;

    /// <summary>The largest packet a record can hold.</summary>
    public const int MaxPacketLength = ushort.MaxValue;

    /// <summary>The bundle size the exit fills up to before sending.</summary>
    public const int DefaultMaxBundleSize = 1500;

    /// <summary>The encoded size of one record.</summary>
    public static int RecordLength(int packetLength) => LengthPrefixSize + packetLength;

    /// <summary>Writes one record; returns the bytes written.</summary>
    public static int WriteRecord(Span<byte> destination, ReadOnlySpan<byte> packet)
    {
        if (packet.Length > MaxPacketLength)
        {
            throw new ArgumentException($"A bundled packet is at most {MaxPacketLength} bytes.", nameof(packet));
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)packet.Length);
        packet.CopyTo(destination.Slice(LengthPrefixSize));
        return RecordLength(packet.Length);
    }

    /// <summary>A bundle holding just <paramref name="packet"/> (Nym's <c>bundle_one_packet</c>).</summary>
    public static byte[] EncodeOne(ReadOnlySpan<byte> packet)
    {
        var bytes = new byte[RecordLength(packet.Length)];
        WriteRecord(bytes, packet);
        return bytes;
    }

    /// <summary>A bundle holding every packet in order.</summary>
    public static byte[] Encode(IReadOnlyList<ReadOnlyMemory<byte>> packets)
    {
        int total = 0;
        foreach (ReadOnlyMemory<byte> packet in packets)
        {
            total += RecordLength(packet.Length);
        }

        var bytes = new byte[total];
        int offset = 0;
        foreach (ReadOnlyMemory<byte> packet in packets)
        {
            offset += WriteRecord(bytes.AsSpan(offset), packet.Span);
        }

        return bytes;
    }

    /// <summary>
    /// Splits a bundle strictly: every byte must belong to a complete record.
    /// Packets are slices of <paramref name="bundle"/>.
    /// </summary>
    /// <exception cref="NymProtocolException">The last record is truncated.</exception>
    public static List<ReadOnlyMemory<byte>> Decode(ReadOnlyMemory<byte> bundle)
    {
        var packets = new List<ReadOnlyMemory<byte>>();
        var reader = new PacketBundleReader(bundle);
        while (reader.TryReadNext(out ReadOnlyMemory<byte> packet))
        {
            packets.Add(packet);
        }

        if (reader.IsTruncated)
        {
            throw new NymProtocolException($"Bundle ends with a truncated record ({reader.RemainingLength} bytes left).");
        }

        return packets;
    }
}

/// <summary>
/// Reads records from a bundle one at a time, the lenient way the exit does: reading stops at a
/// truncated last record, which is then reported by <see cref="IsTruncated"/>.
/// </summary>
internal struct PacketBundleReader
{
    private readonly ReadOnlyMemory<byte> _bundle;
    private int _offset;

    /// <summary>Creates a reader over <paramref name="bundle"/>.</summary>
    public PacketBundleReader(ReadOnlyMemory<byte> bundle)
    {
        _bundle = bundle;
        _offset = 0;
    }

    /// <summary>Bytes not yet consumed.</summary>
    public readonly int RemainingLength => _bundle.Length - _offset;

    /// <summary>True once reading stopped with bytes left that do not form a complete record.</summary>
    public readonly bool IsTruncated => RemainingLength > 0 && !HasCompleteRecord();

    /// <summary>Reads the next complete record; false at the end or at a truncated record.</summary>
    public bool TryReadNext(out ReadOnlyMemory<byte> packet)
    {
        if (!HasCompleteRecord())
        {
            packet = default;
            return false;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(_bundle.Span.Slice(_offset));
        packet = _bundle.Slice(_offset + PacketBundle.LengthPrefixSize, length);
        _offset += PacketBundle.RecordLength(length);
        return true;
    }

    private readonly bool HasCompleteRecord()
    {
        int remaining = RemainingLength;
        return remaining >= PacketBundle.LengthPrefixSize
            && remaining - PacketBundle.LengthPrefixSize >= BinaryPrimitives.ReadUInt16BigEndian(_bundle.Span.Slice(_offset));
    }
}
