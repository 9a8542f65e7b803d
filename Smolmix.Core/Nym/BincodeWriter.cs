using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Smolmix.Nym;

/// <summary>
/// Writes bincode 1.3 values with the options Nym's IPR messages use (big-endian, varint
/// integers). A writer created by <see cref="CreateCounter"/> only counts bytes, so one encode
/// routine serves both to size a message and to write it.
/// </summary>
internal ref struct BincodeWriter
{
    /// <summary>Varint marker: a u16 follows.</summary>
    public const byte U16Marker = 0xFB;

    /// <summary>Varint marker: a u32 follows.</summary>
    public const byte U32Marker = 0xFC;

    /// <summary>Varint marker: a u64 follows.</summary>
    public const byte U64Marker = 0xFD;

    /// <summary>The largest value a single varint byte holds.</summary>
    public const byte SingleByteMax = 250;

    private readonly Span<byte> _buffer;
    private readonly bool _countOnly;
    private int _position;

    /// <summary>Creates a writer over <paramref name="buffer"/>, which must be large enough.</summary>
    public BincodeWriter(Span<byte> buffer)
    {
        _buffer = buffer;
        _countOnly = false;
        _position = 0;
    }

    private BincodeWriter(bool countOnly)
    {
        _buffer = default;
        _countOnly = countOnly;
        _position = 0;
    }

    /// <summary>Bytes written (or counted) so far.</summary>
    public readonly int Position => _position;

    /// <summary>Creates a writer that only counts the bytes it would write.</summary>
    public static BincodeWriter CreateCounter() => new(countOnly: true);

    /// <summary>The encoded length of an unsigned varint.</summary>
    public static int VarintLength(ulong value) => value switch
    {
        <= SingleByteMax => 1,
        <= ushort.MaxValue => 3,
        <= uint.MaxValue => 5,
        _ => 9,
    };

    /// <summary>Writes one raw byte (u8).</summary>
    public void WriteU8(byte value)
    {
        if (!_countOnly)
        {
            _buffer[_position] = value;
        }

        _position++;
    }

    /// <summary>Writes one raw two's-complement byte (i8).</summary>
    public void WriteI8(sbyte value) => WriteU8(unchecked((byte)value));

    /// <summary>Writes a bool as 0 or 1.</summary>
    public void WriteBool(bool value) => WriteU8(value ? (byte)1 : (byte)0);

    /// <summary>Writes an unsigned integer (u16/u32/u64) as a minimal varint.</summary>
    public void WriteVarU64(ulong value)
    {
        if (value <= SingleByteMax)
        {
            WriteU8((byte)value);
        }
        else if (value <= ushort.MaxValue)
        {
            WriteU8(U16Marker);
            Span<byte> tmp = stackalloc byte[2];
            BinaryPrimitives.WriteUInt16BigEndian(tmp, (ushort)value);
            WriteRaw(tmp);
        }
        else if (value <= uint.MaxValue)
        {
            WriteU8(U32Marker);
            Span<byte> tmp = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(tmp, (uint)value);
            WriteRaw(tmp);
        }
        else
        {
            WriteU8(U64Marker);
            Span<byte> tmp = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(tmp, value);
            WriteRaw(tmp);
        }
    }

    /// <summary>Writes a signed integer (i16/i32/i64) zigzag-encoded as a varint.</summary>
    public void WriteVarI64(long value) => WriteVarU64(unchecked((ulong)((value << 1) ^ (value >> 63))));

    /// <summary>Writes an enum variant index.</summary>
    public void WriteEnumTag(uint index) => WriteVarU64(index);

    /// <summary>Writes an f64 as 8 big-endian bytes.</summary>
    public void WriteF64(double value)
    {
        Span<byte> tmp = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleBigEndian(tmp, value);
        WriteRaw(tmp);
    }

    /// <summary>Writes bytes with no length prefix (fixed arrays, struct fields).</summary>
    public void WriteRaw(scoped ReadOnlySpan<byte> bytes)
    {
        if (!_countOnly)
        {
            bytes.CopyTo(_buffer.Slice(_position));
        }

        _position += bytes.Length;
    }

    /// <summary>Writes a byte sequence (Vec&lt;u8&gt;, Bytes): varint length, then the bytes.</summary>
    public void WriteBytes(scoped ReadOnlySpan<byte> bytes)
    {
        WriteVarU64((ulong)bytes.Length);
        WriteRaw(bytes);
    }

    /// <summary>Writes a String: varint byte length, then UTF-8.</summary>
    public void WriteString(string value)
    {
        int length = Encoding.UTF8.GetByteCount(value);
        WriteVarU64((ulong)length);
        if (!_countOnly)
        {
            Encoding.UTF8.GetBytes(value, _buffer.Slice(_position, length));
        }

        _position += length;
    }

    /// <summary>Writes the Option tag (0 = None, 1 = Some); the caller writes the value after Some.</summary>
    public void WriteOptionTag(bool hasValue) => WriteU8(hasValue ? (byte)1 : (byte)0);

    /// <summary>Writes an Option&lt;u64&gt;.</summary>
    public void WriteOptionVarU64(ulong? value)
    {
        WriteOptionTag(value.HasValue);
        if (value.HasValue)
        {
            WriteVarU64(value.Value);
        }
    }

    /// <summary>Writes a <c>time::OffsetDateTime</c> as its 9-tuple.</summary>
    public void WriteTimestamp(NymTimestamp value)
    {
        WriteVarI64(value.Year);
        WriteVarU64(value.Ordinal);
        WriteU8(value.Hour);
        WriteU8(value.Minute);
        WriteU8(value.Second);
        WriteVarU64(value.Nanosecond);
        WriteI8(value.OffsetHours);
        WriteI8(value.OffsetMinutes);
        WriteI8(value.OffsetSeconds);
    }

    /// <summary>Writes an Ipv4Addr as 4 raw bytes.</summary>
    public void WriteIpv4(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException("Expected an IPv4 address.", nameof(address));
        }

        Span<byte> tmp = stackalloc byte[4];
        address.TryWriteBytes(tmp, out _);
        WriteRaw(tmp);
    }

    /// <summary>Writes an Ipv6Addr as 16 raw bytes.</summary>
    public void WriteIpv6(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            throw new ArgumentException("Expected an IPv6 address.", nameof(address));
        }

        Span<byte> tmp = stackalloc byte[16];
        address.TryWriteBytes(tmp, out _);
        WriteRaw(tmp);
    }
}
