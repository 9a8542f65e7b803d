namespace Smolmix.Nym;

/// <summary>
/// Packs packets into bundles up to a size limit, emitting a bundle whenever the next packet
/// would not fit — the same rules the exit uses for return traffic. A packet too large to share
/// a bundle leaves on its own (so a bundle can exceed the limit); <see cref="Flush"/> emits
/// whatever is buffered.
/// </summary>
internal sealed class PacketBundleEncoder
{
    private readonly int _maxBundleSize;
    private readonly List<byte> _buffer = [];

    /// <summary>Creates an encoder with the given bundle size limit (1500 by default).</summary>
    public PacketBundleEncoder(int maxBundleSize = PacketBundle.DefaultMaxBundleSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBundleSize, PacketBundle.LengthPrefixSize);
        _maxBundleSize = maxBundleSize;
    }

    /// <summary>Bytes currently buffered.</summary>
    public int BufferedLength => _buffer.Count;

    /// <summary>Adds a packet; returns a bundle when one is ready to send, otherwise null.</summary>
    public byte[]? Add(ReadOnlySpan<byte> packet)
    {
        int record = PacketBundle.RecordLength(packet.Length);
        if (packet.Length > PacketBundle.MaxPacketLength)
        {
            throw new ArgumentException($"A bundled packet is at most {PacketBundle.MaxPacketLength} bytes.", nameof(packet));
        }

        if (_buffer.Count == 0 && record > _maxBundleSize)
        {
            return PacketBundle.EncodeOne(packet);
        }

        byte[]? emitted = null;
        if (_buffer.Count + record > _maxBundleSize)
        {
            emitted = Flush();
        }

        Span<byte> prefix = stackalloc byte[PacketBundle.LengthPrefixSize];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(prefix, (ushort)packet.Length);
        _buffer.AddRange(prefix);
        _buffer.AddRange(packet);
        return emitted;
    }

    /// <summary>Returns the buffered bundle and clears it, or null when nothing is buffered.</summary>
    public byte[]? Flush()
    {
        if (_buffer.Count == 0)
        {
            return null;
        }

        byte[] bundle = [.. _buffer];
        _buffer.Clear();
        return bundle;
    }
}
