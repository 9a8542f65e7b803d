using System.Buffers.Binary;

namespace Smolmix.Nym;

/// <summary>
/// A binary WebSocket request to nym-client: a tag byte, then big-endian fixed-width fields;
/// addresses are 96 raw bytes and messages are <c>u64 length ‖ bytes</c> filling the rest.
/// </summary>
internal abstract record NymClientRequest
{
    /// <summary>Tag of <see cref="Send"/>.</summary>
    public const byte SendTag = 0x00;

    /// <summary>Tag of <see cref="SendAnonymous"/>.</summary>
    public const byte SendAnonymousTag = 0x01;

    /// <summary>Tag of <see cref="Reply"/>.</summary>
    public const byte ReplyTag = 0x02;

    /// <summary>Tag of <see cref="SelfAddress"/>.</summary>
    public const byte SelfAddressTag = 0x03;

    /// <summary>Tag of <see cref="ClosedConnection"/>.</summary>
    public const byte ClosedConnectionTag = 0x04;

    /// <summary>Tag of <see cref="GetLaneQueueLength"/>.</summary>
    public const byte GetLaneQueueLengthTag = 0x05;

    /// <summary>The length of a SendAnonymous request before its message bytes.</summary>
    public const int SendAnonymousHeaderLength = 1 + 4 + NymAddress.BinaryLength + 8 + 8;

    private NymClientRequest()
    {
    }

    /// <summary>The encoded length in bytes.</summary>
    public abstract int EncodedLength { get; }

    /// <summary>Encodes into a new array.</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[EncodedLength];
        Encode(bytes);
        return bytes;
    }

    /// <summary>Encodes into <paramref name="destination"/>; returns the number of bytes written.</summary>
    public abstract int Encode(Span<byte> destination);

    /// <summary>
    /// Writes the SendAnonymous header for a message of <paramref name="messageLength"/> bytes, so
    /// the message can be placed right after it; returns <see cref="SendAnonymousHeaderLength"/>.
    /// </summary>
    public static int WriteSendAnonymousHeader(Span<byte> destination, NymAddress recipient, uint replySurbs, ulong connectionId, int messageLength)
    {
        destination[0] = SendAnonymousTag;
        BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(1), replySurbs);
        recipient.CopyTo(destination.Slice(5));
        WriteTail(destination.Slice(5 + NymAddress.BinaryLength), connectionId, messageLength);
        return SendAnonymousHeaderLength;
    }

    /// <summary>Decodes a whole binary request (the fake nym-client in tests and the devnet use this).</summary>
    /// <exception cref="NymProtocolException">The request is malformed or truncated.</exception>
    public static NymClientRequest Decode(ReadOnlyMemory<byte> frame)
    {
        ReadOnlySpan<byte> span = frame.Span;
        if (span.IsEmpty)
        {
            throw new NymProtocolException("Empty nym-client request.");
        }

        switch (span[0])
        {
            case SendTag:
            {
                NymAddress recipient = ReadAddress(span, 1);
                (ulong connection, ReadOnlyMemory<byte> message) = ReadTail(frame, 1 + NymAddress.BinaryLength);
                return new Send(recipient, message, connection);
            }

            case SendAnonymousTag:
            {
                Need(span, 5);
                uint surbs = BinaryPrimitives.ReadUInt32BigEndian(span.Slice(1));
                NymAddress recipient = ReadAddress(span, 5);
                (ulong connection, ReadOnlyMemory<byte> message) = ReadTail(frame, 5 + NymAddress.BinaryLength);
                return new SendAnonymous(recipient, message, surbs, connection);
            }

            case ReplyTag:
            {
                Need(span, 1 + SenderTag.Length);
                SenderTag tag = SenderTag.FromBytes(span.Slice(1, SenderTag.Length));
                (ulong connection, ReadOnlyMemory<byte> message) = ReadTail(frame, 1 + SenderTag.Length);
                return new Reply(tag, message, connection);
            }

            case SelfAddressTag:
                ExactLength(span, 1);
                return new SelfAddress();

            case ClosedConnectionTag:
                ExactLength(span, 9);
                return new ClosedConnection(BinaryPrimitives.ReadUInt64BigEndian(span.Slice(1)));

            case GetLaneQueueLengthTag:
                ExactLength(span, 9);
                return new GetLaneQueueLength(BinaryPrimitives.ReadUInt64BigEndian(span.Slice(1)));

            default:
                throw new NymProtocolException($"Unknown nym-client request tag 0x{span[0]:x2}.");
        }
    }

    private static void WriteTail(Span<byte> destination, ulong connectionId, int messageLength)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, connectionId);
        BinaryPrimitives.WriteUInt64BigEndian(destination.Slice(8), (ulong)messageLength);
    }

    private static int WriteTailAndMessage(Span<byte> destination, ulong connectionId, ReadOnlySpan<byte> message)
    {
        WriteTail(destination, connectionId, message.Length);
        message.CopyTo(destination.Slice(16));
        return 16 + message.Length;
    }

    private static (ulong Connection, ReadOnlyMemory<byte> Message) ReadTail(ReadOnlyMemory<byte> frame, int offset)
    {
        ReadOnlySpan<byte> span = frame.Span;
        Need(span, offset + 16);
        ulong connection = BinaryPrimitives.ReadUInt64BigEndian(span.Slice(offset));
        ulong length = BinaryPrimitives.ReadUInt64BigEndian(span.Slice(offset + 8));
        int start = offset + 16;
        if (length != (ulong)(span.Length - start))
        {
            throw new NymProtocolException($"Message length {length} does not match the {span.Length - start} bytes present.");
        }

        return (connection, frame.Slice(start));
    }

    private static NymAddress ReadAddress(ReadOnlySpan<byte> span, int offset)
    {
        Need(span, offset + NymAddress.BinaryLength);
        return NymAddress.FromBytes(span.Slice(offset, NymAddress.BinaryLength));
    }

    private static void Need(ReadOnlySpan<byte> span, int length)
    {
        if (span.Length < length)
        {
            throw new NymProtocolException($"nym-client request truncated: {span.Length} of at least {length} bytes.");
        }
    }

    private static void ExactLength(ReadOnlySpan<byte> span, int length)
    {
        if (span.Length != length)
        {
            throw new NymProtocolException($"nym-client request 0x{span[0]:x2} must be {length} bytes, got {span.Length}.");
        }
    }

    /// <summary>Sends a regular (non-repliable) message; tag 0x00.</summary>
    /// <param name="Recipient">The destination.</param>
    /// <param name="Message">The payload.</param>
    /// <param name="ConnectionId">Lane id; 0 means none.</param>
    public sealed record Send(NymAddress Recipient, ReadOnlyMemory<byte> Message, ulong ConnectionId) : NymClientRequest
    {
        /// <inheritdoc />
        public override int EncodedLength => 1 + NymAddress.BinaryLength + 16 + Message.Length;

        /// <inheritdoc />
        public override int Encode(Span<byte> destination)
        {
            destination[0] = SendTag;
            Recipient.CopyTo(destination.Slice(1));
            return 1 + NymAddress.BinaryLength + WriteTailAndMessage(destination.Slice(1 + NymAddress.BinaryLength), ConnectionId, Message.Span);
        }

        /// <summary>Compares fields and message contents.</summary>
        public bool Equals(Send? other) => other is not null && Recipient == other.Recipient && ConnectionId == other.ConnectionId && Message.Span.SequenceEqual(other.Message.Span);

        /// <inheritdoc />
        public override int GetHashCode() => HashCode.Combine(Recipient, ConnectionId, Message.Length);
    }

    /// <summary>Sends a repliable message carrying a sender tag and reply SURBs; tag 0x01.</summary>
    /// <param name="Recipient">The destination.</param>
    /// <param name="Message">The payload.</param>
    /// <param name="ReplySurbs">How many reply SURBs to attach.</param>
    /// <param name="ConnectionId">Lane id; 0 means none.</param>
    public sealed record SendAnonymous(NymAddress Recipient, ReadOnlyMemory<byte> Message, uint ReplySurbs, ulong ConnectionId) : NymClientRequest
    {
        /// <inheritdoc />
        public override int EncodedLength => SendAnonymousHeaderLength + Message.Length;

        /// <inheritdoc />
        public override int Encode(Span<byte> destination)
        {
            int header = WriteSendAnonymousHeader(destination, Recipient, ReplySurbs, ConnectionId, Message.Length);
            Message.Span.CopyTo(destination.Slice(header));
            return header + Message.Length;
        }

        /// <summary>Compares fields and message contents.</summary>
        public bool Equals(SendAnonymous? other) => other is not null && Recipient == other.Recipient && ReplySurbs == other.ReplySurbs
            && ConnectionId == other.ConnectionId && Message.Span.SequenceEqual(other.Message.Span);

        /// <inheritdoc />
        public override int GetHashCode() => HashCode.Combine(Recipient, ReplySurbs, ConnectionId, Message.Length);
    }

    /// <summary>Replies to an anonymous sender through its SURBs; tag 0x02.</summary>
    /// <param name="SenderTag">The tag of the message being answered.</param>
    /// <param name="Message">The payload.</param>
    /// <param name="ConnectionId">Lane id; 0 means none.</param>
    public sealed record Reply(SenderTag SenderTag, ReadOnlyMemory<byte> Message, ulong ConnectionId) : NymClientRequest
    {
        /// <inheritdoc />
        public override int EncodedLength => 1 + SenderTag.Length + 16 + Message.Length;

        /// <inheritdoc />
        public override int Encode(Span<byte> destination)
        {
            destination[0] = ReplyTag;
            SenderTag.CopyTo(destination.Slice(1));
            return 1 + SenderTag.Length + WriteTailAndMessage(destination.Slice(1 + SenderTag.Length), ConnectionId, Message.Span);
        }

        /// <summary>Compares fields and message contents.</summary>
        public bool Equals(Reply? other) => other is not null && SenderTag == other.SenderTag && ConnectionId == other.ConnectionId && Message.Span.SequenceEqual(other.Message.Span);

        /// <inheritdoc />
        public override int GetHashCode() => HashCode.Combine(SenderTag, ConnectionId, Message.Length);
    }

    /// <summary>Asks for nym-client's own address; tag 0x03.</summary>
    public sealed record SelfAddress : NymClientRequest
    {
        /// <inheritdoc />
        public override int EncodedLength => 1;

        /// <inheritdoc />
        public override int Encode(Span<byte> destination)
        {
            destination[0] = SelfAddressTag;
            return 1;
        }
    }

    /// <summary>Tells nym-client a lane is closed; tag 0x04.</summary>
    /// <param name="ConnectionId">The lane id.</param>
    public sealed record ClosedConnection(ulong ConnectionId) : NymClientRequest
    {
        /// <inheritdoc />
        public override int EncodedLength => 9;

        /// <inheritdoc />
        public override int Encode(Span<byte> destination)
        {
            destination[0] = ClosedConnectionTag;
            BinaryPrimitives.WriteUInt64BigEndian(destination.Slice(1), ConnectionId);
            return 9;
        }
    }

    /// <summary>Asks how many messages are queued on a lane; tag 0x05.</summary>
    /// <param name="ConnectionId">The lane id.</param>
    public sealed record GetLaneQueueLength(ulong ConnectionId) : NymClientRequest
    {
        /// <inheritdoc />
        public override int EncodedLength => 9;

        /// <inheritdoc />
        public override int Encode(Span<byte> destination)
        {
            destination[0] = GetLaneQueueLengthTag;
            BinaryPrimitives.WriteUInt64BigEndian(destination.Slice(1), ConnectionId);
            return 9;
        }
    }
}
