using System.Buffers.Binary;

namespace Smolmix.Nym;

/// <summary>The message type of an LP SphinxStream frame.</summary>
internal enum LpMessageType : byte
{
    /// <summary>Opens a stream; carries no payload.</summary>
    Open = 0,

    /// <summary>Carries one IPR message.</summary>
    Data = 1,
}

/// <summary>
/// An LP "SphinxStream" frame, the transport framing v9 and v10 IPR messages must use:
/// a 16-byte header — kind 3 (u16 little-endian), stream id (u64 BE), message type (u8),
/// sequence number (u32 BE), one reserved byte — followed by the payload.
/// </summary>
internal readonly struct LpFrame
{
    /// <summary>The header length in bytes.</summary>
    public const int HeaderLength = 16;

    /// <summary>The frame kind of a SphinxStream frame.</summary>
    public const ushort SphinxStreamKind = 3;

    /// <summary>Creates a frame.</summary>
    public LpFrame(ulong streamId, LpMessageType messageType, uint sequence, ReadOnlyMemory<byte> payload)
    {
        StreamId = streamId;
        MessageType = messageType;
        Sequence = sequence;
        Payload = payload;
    }

    /// <summary>The stream this frame belongs to.</summary>
    public ulong StreamId { get; }

    /// <summary>Open or Data.</summary>
    public LpMessageType MessageType { get; }

    /// <summary>The sender's sequence number.</summary>
    public uint Sequence { get; }

    /// <summary>The bytes after the header.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>
    /// True when <paramref name="message"/> has the shape the IPR treats as a stream frame:
    /// at least 16 bytes and a little-endian kind of 3. Raw v8–v10 messages never match.
    /// </summary>
    public static bool IsStreamFrame(ReadOnlySpan<byte> message)
        => message.Length >= HeaderLength && BinaryPrimitives.ReadUInt16LittleEndian(message) == SphinxStreamKind;

    /// <summary>
    /// Parses a stream frame. Returns false, leaving the message to be handled raw, when it is
    /// not a stream frame (see <see cref="IsStreamFrame"/>).
    /// </summary>
    /// <exception cref="NymProtocolException">It is a stream frame but its message type is invalid.</exception>
    public static bool TryDecode(ReadOnlyMemory<byte> message, out LpFrame frame)
    {
        frame = default;
        ReadOnlySpan<byte> span = message.Span;
        if (!IsStreamFrame(span))
        {
            return false;
        }

        byte type = span[10];
        if (type > (byte)LpMessageType.Data)
        {
            throw new NymProtocolException($"Invalid LP stream message type {type}.");
        }

        frame = new LpFrame(
            BinaryPrimitives.ReadUInt64BigEndian(span.Slice(2)),
            (LpMessageType)type,
            BinaryPrimitives.ReadUInt32BigEndian(span.Slice(11)),
            message.Slice(HeaderLength));
        return true;
    }

    /// <summary>Writes a 16-byte header into <paramref name="destination"/>.</summary>
    public static void WriteHeader(Span<byte> destination, ulong streamId, LpMessageType messageType, uint sequence)
    {
        if (destination.Length < HeaderLength)
        {
            throw new ArgumentException("Destination too small.", nameof(destination));
        }

        BinaryPrimitives.WriteUInt16LittleEndian(destination, SphinxStreamKind);
        BinaryPrimitives.WriteUInt64BigEndian(destination.Slice(2), streamId);
        destination[10] = (byte)messageType;
        BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(11), sequence);
        destination[15] = 0;
    }

    /// <summary>Encodes header and payload into a new array.</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[HeaderLength + Payload.Length];
        WriteHeader(bytes, StreamId, MessageType, Sequence);
        Payload.Span.CopyTo(bytes.AsSpan(HeaderLength));
        return bytes;
    }
}
