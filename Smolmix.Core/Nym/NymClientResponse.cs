using System.Buffers.Binary;
using System.Text;

namespace Smolmix.Nym;

/// <summary>
/// A binary WebSocket response from nym-client: a tag byte, then big-endian fixed-width fields.
/// </summary>
internal abstract record NymClientResponse
{
    /// <summary>Tag of <see cref="Error"/>.</summary>
    public const byte ErrorTag = 0x00;

    /// <summary>Tag of <see cref="Received"/>.</summary>
    public const byte ReceivedTag = 0x01;

    /// <summary>Tag of <see cref="SelfAddress"/>.</summary>
    public const byte SelfAddressTag = 0x02;

    /// <summary>Tag of <see cref="LaneQueueLength"/>.</summary>
    public const byte LaneQueueLengthTag = 0x03;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private NymClientResponse()
    {
    }

    /// <summary>The encoded length in bytes.</summary>
    public abstract int EncodedLength { get; }

    /// <summary>Encodes into <paramref name="destination"/>; returns the number of bytes written.</summary>
    public abstract int Encode(Span<byte> destination);

    /// <summary>Encodes into a new array.</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[EncodedLength];
        Encode(bytes);
        return bytes;
    }

    /// <summary>Decodes a whole binary response. Message bytes are slices of <paramref name="frame"/>.</summary>
    /// <exception cref="NymProtocolException">The response is malformed or truncated.</exception>
    public static NymClientResponse Decode(ReadOnlyMemory<byte> frame)
    {
        ReadOnlySpan<byte> span = frame.Span;
        if (span.IsEmpty)
        {
            throw new NymProtocolException("Empty nym-client response.");
        }

        switch (span[0])
        {
            case ErrorTag:
            {
                Need(span, 2);
                var kind = (NymClientErrorKind)span[1];
                if (!Enum.IsDefined(kind))
                {
                    throw new NymProtocolException($"Unknown nym-client error kind 0x{span[1]:x2}.");
                }

                ReadOnlyMemory<byte> text = ReadLengthPrefixed(frame, 2);
                try
                {
                    return new Error(kind, StrictUtf8.GetString(text.Span));
                }
                catch (DecoderFallbackException ex)
                {
                    throw new NymProtocolException("nym-client error text is not valid UTF-8.", ex);
                }
            }

            case ReceivedTag:
            {
                Need(span, 2);
                SenderTag? tag;
                int offset;
                switch (span[1])
                {
                    case 0:
                        tag = null;
                        offset = 2;
                        break;
                    case 1:
                        Need(span, 2 + SenderTag.Length);
                        tag = SenderTag.FromBytes(span.Slice(2, SenderTag.Length));
                        offset = 2 + SenderTag.Length;
                        break;
                    default:
                        throw new NymProtocolException($"Invalid has_sender_tag byte 0x{span[1]:x2}.");
                }

                return new Received(tag, ReadLengthPrefixed(frame, offset));
            }

            case SelfAddressTag:
                if (span.Length != 1 + NymAddress.BinaryLength)
                {
                    throw new NymProtocolException($"SelfAddress response must be {1 + NymAddress.BinaryLength} bytes, got {span.Length}.");
                }

                return new SelfAddress(NymAddress.FromBytes(span.Slice(1)));

            case LaneQueueLengthTag:
                if (span.Length != 17)
                {
                    throw new NymProtocolException($"LaneQueueLength response must be 17 bytes, got {span.Length}.");
                }

                return new LaneQueueLength(BinaryPrimitives.ReadUInt64BigEndian(span.Slice(1)), BinaryPrimitives.ReadUInt64BigEndian(span.Slice(9)));

            default:
                throw new NymProtocolException($"Unknown nym-client response tag 0x{span[0]:x2}.");
        }
    }

    private static ReadOnlyMemory<byte> ReadLengthPrefixed(ReadOnlyMemory<byte> frame, int offset)
    {
        ReadOnlySpan<byte> span = frame.Span;
        Need(span, offset + 8);
        ulong length = BinaryPrimitives.ReadUInt64BigEndian(span.Slice(offset));
        int start = offset + 8;
        if (length != (ulong)(span.Length - start))
        {
            throw new NymProtocolException($"Length {length} does not match the {span.Length - start} bytes present.");
        }

        return frame.Slice(start);
    }

    private static void Need(ReadOnlySpan<byte> span, int length)
    {
        if (span.Length < length)
        {
            throw new NymProtocolException($"nym-client response truncated: {span.Length} of at least {length} bytes.");
        }
    }

    /// <summary>nym-client rejected a request or hit an error; tag 0x00.</summary>
    /// <param name="Kind">The error kind.</param>
    /// <param name="Message">The description.</param>
    public sealed record Error(NymClientErrorKind Kind, string Message) : NymClientResponse
    {
        /// <inheritdoc />
        public override int EncodedLength => 10 + Encoding.UTF8.GetByteCount(Message);

        /// <inheritdoc />
        public override int Encode(Span<byte> destination)
        {
            destination[0] = ErrorTag;
            destination[1] = (byte)Kind;
            int length = Encoding.UTF8.GetBytes(Message, destination.Slice(10));
            BinaryPrimitives.WriteUInt64BigEndian(destination.Slice(2), (ulong)length);
            return 10 + length;
        }
    }

    /// <summary>A message from the mixnet; tag 0x01. IPR replies arrive without a sender tag.</summary>
    /// <param name="SenderTag">The sender's tag when it sent anonymously, otherwise null.</param>
    /// <param name="Message">The payload.</param>
    public sealed record Received(SenderTag? SenderTag, ReadOnlyMemory<byte> Message) : NymClientResponse
    {
        /// <inheritdoc />
        public override int EncodedLength => 2 + (SenderTag.HasValue ? Nym.SenderTag.Length : 0) + 8 + Message.Length;

        /// <inheritdoc />
        public override int Encode(Span<byte> destination)
        {
            destination[0] = ReceivedTag;
            int offset = 2;
            if (SenderTag is { } tag)
            {
                destination[1] = 1;
                tag.CopyTo(destination.Slice(2));
                offset += Nym.SenderTag.Length;
            }
            else
            {
                destination[1] = 0;
            }

            BinaryPrimitives.WriteUInt64BigEndian(destination.Slice(offset), (ulong)Message.Length);
            Message.Span.CopyTo(destination.Slice(offset + 8));
            return offset + 8 + Message.Length;
        }

        /// <summary>Compares tag and message contents.</summary>
        public bool Equals(Received? other) => other is not null && SenderTag == other.SenderTag && Message.Span.SequenceEqual(other.Message.Span);

        /// <inheritdoc />
        public override int GetHashCode() => HashCode.Combine(SenderTag, Message.Length);
    }

    /// <summary>nym-client's own address; tag 0x02.</summary>
    /// <param name="Address">The address.</param>
    public sealed record SelfAddress(NymAddress Address) : NymClientResponse
    {
        /// <inheritdoc />
        public override int EncodedLength => 1 + NymAddress.BinaryLength;

        /// <inheritdoc />
        public override int Encode(Span<byte> destination)
        {
            destination[0] = SelfAddressTag;
            Address.CopyTo(destination.Slice(1));
            return EncodedLength;
        }
    }

    /// <summary>How many messages wait on a lane; tag 0x03.</summary>
    /// <param name="Lane">The lane (connection id).</param>
    /// <param name="QueueLength">Messages queued.</param>
    public sealed record LaneQueueLength(ulong Lane, ulong QueueLength) : NymClientResponse
    {
        /// <inheritdoc />
        public override int EncodedLength => 17;

        /// <inheritdoc />
        public override int Encode(Span<byte> destination)
        {
            destination[0] = LaneQueueLengthTag;
            BinaryPrimitives.WriteUInt64BigEndian(destination.Slice(1), Lane);
            BinaryPrimitives.WriteUInt64BigEndian(destination.Slice(9), QueueLength);
            return 17;
        }
    }
}
