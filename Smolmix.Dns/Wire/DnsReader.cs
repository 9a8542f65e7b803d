using System.Buffers.Binary;

namespace Smolmix.Dns.Wire;

/// <summary>
/// Reads DNS wire data from a whole message (names may point anywhere before them). Every read is
/// bounds-checked; malformed input raises <see cref="DnsFormatException"/>.
/// </summary>
internal ref struct DnsReader
{
    private readonly ReadOnlySpan<byte> _message;

    public DnsReader(ReadOnlySpan<byte> message)
    {
        _message = message;
        Position = 0;
    }

    public int Position { get; set; }

    public readonly int Length => _message.Length;

    public readonly int Remaining => _message.Length - Position;

    public readonly ReadOnlySpan<byte> Message => _message;

    public byte ReadUInt8()
    {
        Need(1);
        return _message[Position++];
    }

    public ushort ReadUInt16()
    {
        Need(2);
        ushort v = BinaryPrimitives.ReadUInt16BigEndian(_message[Position..]);
        Position += 2;
        return v;
    }

    public uint ReadUInt32()
    {
        Need(4);
        uint v = BinaryPrimitives.ReadUInt32BigEndian(_message[Position..]);
        Position += 4;
        return v;
    }

    public ReadOnlySpan<byte> ReadBytes(int count)
    {
        Need(count);
        ReadOnlySpan<byte> s = _message.Slice(Position, count);
        Position += count;
        return s;
    }

    /// <summary>Reads a domain name (following compression pointers when <paramref name="allowCompression"/>).</summary>
    public string ReadName(bool allowCompression = true)
    {
        int position = Position;
        string name = DnsName.Read(_message, ref position, allowCompression);
        Position = position;
        return name;
    }

    private readonly void Need(int count)
    {
        if (count < 0 || Position > _message.Length - count)
        {
            throw new DnsFormatException($"The message ends {count - Remaining} byte(s) early (at offset {Position} of {_message.Length}).");
        }
    }
}
