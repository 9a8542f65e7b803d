using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Smolmix.Nym;

/// <summary>
/// Reads bincode 1.3 values with the options Nym's IPR messages use (big-endian, varint
/// integers, trailing bytes rejected via <see cref="EnsureEnd"/>). Every read checks the
/// remaining length first; malformed input raises <see cref="NymProtocolException"/>.
/// </summary>
internal ref struct BincodeReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    /// <summary>Creates a reader over <paramref name="data"/>.</summary>
    public BincodeReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    /// <summary>Bytes consumed so far.</summary>
    public readonly int Position => _position;

    /// <summary>Bytes not yet consumed.</summary>
    public readonly int Remaining => _data.Length - _position;

    /// <summary>Reads one raw byte (u8).</summary>
    public byte ReadU8()
    {
        Need(1);
        return _data[_position++];
    }

    /// <summary>Reads one two's-complement byte (i8).</summary>
    public sbyte ReadI8() => unchecked((sbyte)ReadU8());

    /// <summary>Reads a bool; only 0 and 1 are accepted.</summary>
    public bool ReadBool() => ReadU8() switch
    {
        0 => false,
        1 => true,
        var b => throw new NymProtocolException($"Invalid bool byte 0x{b:x2}."),
    };

    /// <summary>Reads a varint-encoded u64 (non-minimal forms are accepted, as bincode does).</summary>
    public ulong ReadVarU64()
    {
        byte first = ReadU8();
        switch (first)
        {
            case <= BincodeWriter.SingleByteMax:
                return first;
            case BincodeWriter.U16Marker:
                return BinaryPrimitives.ReadUInt16BigEndian(ReadRaw(2));
            case BincodeWriter.U32Marker:
                return BinaryPrimitives.ReadUInt32BigEndian(ReadRaw(4));
            case BincodeWriter.U64Marker:
                return BinaryPrimitives.ReadUInt64BigEndian(ReadRaw(8));
            default:
                throw new NymProtocolException($"Invalid varint marker 0x{first:x2}.");
        }
    }

    /// <summary>Reads a varint-encoded u32, rejecting larger values.</summary>
    public uint ReadVarU32()
    {
        ulong value = ReadVarU64();
        return value <= uint.MaxValue ? (uint)value : throw new NymProtocolException($"Varint {value} does not fit in u32.");
    }

    /// <summary>Reads a varint-encoded u16, rejecting larger values.</summary>
    public ushort ReadVarU16()
    {
        ulong value = ReadVarU64();
        return value <= ushort.MaxValue ? (ushort)value : throw new NymProtocolException($"Varint {value} does not fit in u16.");
    }

    /// <summary>Reads a zigzag varint i64.</summary>
    public long ReadVarI64()
    {
        ulong raw = ReadVarU64();
        return unchecked((long)(raw >> 1) ^ -(long)(raw & 1));
    }

    /// <summary>Reads a zigzag varint i32, rejecting values outside its range.</summary>
    public int ReadVarI32()
    {
        long value = ReadVarI64();
        return value is >= int.MinValue and <= int.MaxValue ? (int)value : throw new NymProtocolException($"Varint {value} does not fit in i32.");
    }

    /// <summary>Reads an enum variant index.</summary>
    public uint ReadEnumTag() => ReadVarU32();

    /// <summary>Reads an f64 from 8 big-endian bytes.</summary>
    public double ReadF64() => BinaryPrimitives.ReadDoubleBigEndian(ReadRaw(8));

    /// <summary>Reads <paramref name="count"/> bytes with no length prefix.</summary>
    public ReadOnlySpan<byte> ReadRaw(int count)
    {
        Need(count);
        ReadOnlySpan<byte> slice = _data.Slice(_position, count);
        _position += count;
        return slice;
    }

    /// <summary>Reads a length-prefixed byte sequence and returns where it lies in the input.</summary>
    public Range ReadBytesRange()
    {
        ulong length = ReadVarU64();
        if (length > (ulong)Remaining)
        {
            throw new NymProtocolException($"Byte sequence of length {length} exceeds the {Remaining} bytes left.");
        }

        int start = _position;
        _position += (int)length;
        return new Range(start, _position);
    }

    /// <summary>Reads a length-prefixed byte sequence.</summary>
    public ReadOnlySpan<byte> ReadBytes() => _data[ReadBytesRange()];

    /// <summary>Reads a length-prefixed, strictly valid UTF-8 string.</summary>
    public string ReadString()
    {
        ReadOnlySpan<byte> bytes = ReadBytes();
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw new NymProtocolException("String is not valid UTF-8.", ex);
        }
    }

    /// <summary>Reads an Option tag: true for Some, false for None.</summary>
    public bool ReadOptionTag() => ReadU8() switch
    {
        0 => false,
        1 => true,
        var b => throw new NymProtocolException($"Invalid Option tag 0x{b:x2}."),
    };

    /// <summary>Reads an Option&lt;u64&gt;.</summary>
    public ulong? ReadOptionVarU64() => ReadOptionTag() ? ReadVarU64() : null;

    /// <summary>Reads and validates a <c>time::OffsetDateTime</c> 9-tuple.</summary>
    public NymTimestamp ReadTimestamp()
    {
        int year = ReadVarI32();
        ushort ordinal = ReadVarU16();
        byte hour = ReadU8();
        byte minute = ReadU8();
        byte second = ReadU8();
        uint nanosecond = ReadVarU32();
        sbyte offsetHours = ReadI8();
        sbyte offsetMinutes = ReadI8();
        sbyte offsetSeconds = ReadI8();
        return NymTimestamp.Create(year, ordinal, hour, minute, second, nanosecond, offsetHours, offsetMinutes, offsetSeconds);
    }

    /// <summary>Reads an Ipv4Addr (4 raw bytes).</summary>
    public IPAddress ReadIpv4() => new(ReadRaw(4));

    /// <summary>Reads an Ipv6Addr (16 raw bytes).</summary>
    public IPAddress ReadIpv6() => new(ReadRaw(16));

    /// <summary>Throws unless every byte has been consumed (bincode rejects trailing bytes).</summary>
    public readonly void EnsureEnd()
    {
        if (Remaining != 0)
        {
            throw new NymProtocolException($"{Remaining} trailing bytes after the message.");
        }
    }

    private readonly void Need(int count)
    {
        if (count > Remaining)
        {
            throw new NymProtocolException($"Message truncated: needed {count} more bytes, {Remaining} left.");
        }
    }
}
