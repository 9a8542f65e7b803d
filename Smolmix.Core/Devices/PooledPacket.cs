using System.Buffers;

namespace Smolmix.Devices;

/// <summary>
/// A packet in a <see cref="PacketBuffers"/> buffer. A value that names a rented buffer: whoever holds it owns
/// the buffer until handing it on, and exactly one holder calls <see cref="Return"/>, after which no copy of
/// the value may be used.
/// </summary>
internal readonly struct PooledPacket
{
    /// <summary>Wraps the first <paramref name="length"/> bytes of <paramref name="buffer"/>, rented from <see cref="PacketBuffers.Rent"/>.</summary>
    public PooledPacket(byte[] buffer, int length)
    {
        Buffer = buffer;
        Length = length;
    }

    /// <summary>The rented buffer; only the first <see cref="Length"/> bytes are the packet.</summary>
    public byte[] Buffer { get; }

    /// <summary>The packet's length in bytes.</summary>
    public int Length { get; }

    /// <summary>The packet's bytes.</summary>
    public ReadOnlySpan<byte> Span => Buffer.AsSpan(0, Length);

    /// <summary>The packet's bytes as memory.</summary>
    public ReadOnlyMemory<byte> Memory => Buffer.AsMemory(0, Length);

    /// <summary>Rents a buffer and copies <paramref name="packet"/> into it.</summary>
    public static PooledPacket Copy(ReadOnlySpan<byte> packet)
    {
        var buffer = PacketBuffers.Rent(packet.Length);
        packet.CopyTo(buffer);
        return new PooledPacket(buffer, packet.Length);
    }

    /// <summary>Copies the packet into <paramref name="destination"/>, truncating; returns the bytes copied.</summary>
    public int CopyTo(Span<byte> destination)
    {
        int n = Math.Min(Length, destination.Length);
        Buffer.AsSpan(0, n).CopyTo(destination);
        return n;
    }

    /// <summary>Returns the buffer to the pool; the packet must not be used afterwards.</summary>
    public void Return() => PacketBuffers.Return(Buffer);
}
