using System.Buffers.Binary;

namespace Smolmix.Dns.Wire;

/// <summary>
/// Writes a DNS message into a growable buffer, compressing names (RFC 1035 §4.1.4). Only a suffix
/// spelled with the same case is reused, so every name keeps the case it was given (DNS 0x20, round trips).
/// </summary>
internal sealed class DnsWriter
{
    /// <summary>The largest DNS message (the TCP length prefix is 16 bits).</summary>
    public const int MaxMessageLength = 65535;

    private readonly Dictionary<string, int> _names = new(StringComparer.Ordinal);
    private byte[] _buffer;

    public DnsWriter(int capacity = 512) => _buffer = new byte[Math.Max(12, capacity)];

    public int Position { get; private set; }

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, Position);

    public byte[] ToArray() => Written.ToArray();

    public void WriteUInt8(byte value) => Reserve(1)[0] = value;

    public void WriteUInt16(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(Reserve(2), value);

    public void WriteUInt32(uint value) => BinaryPrimitives.WriteUInt32BigEndian(Reserve(4), value);

    public void WriteBytes(ReadOnlySpan<byte> value) => value.CopyTo(Reserve(value.Length));

    public void PatchUInt16(int offset, ushort value) => BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(offset, 2), value);

    /// <summary>Writes <paramref name="name"/> (presentation form), pointing at an earlier copy of a suffix when <paramref name="compress"/>.</summary>
    public void WriteName(string name, bool compress = true)
    {
        List<byte[]> labels = DnsName.ToLabels(name);
        for (int i = 0; i < labels.Count; i++)
        {
            string suffix = DnsName.Join(labels, i);
            if (compress && _names.TryGetValue(suffix, out int at))
            {
                WriteUInt16((ushort)(0xC000 | at));
                return;
            }

            if (compress && Position < 0x4000)
            {
                _names[suffix] = Position;
            }

            WriteUInt8((byte)labels[i].Length);
            WriteBytes(labels[i]);
        }

        WriteUInt8(0);
    }

    private Span<byte> Reserve(int count)
    {
        if (Position + count > MaxMessageLength)
        {
            throw new InvalidOperationException("A DNS message cannot exceed 65,535 bytes.");
        }

        if (Position + count > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Min(MaxMessageLength, Math.Max(_buffer.Length * 2, Position + count)));
        }

        Span<byte> s = _buffer.AsSpan(Position, count);
        Position += count;
        return s;
    }
}
