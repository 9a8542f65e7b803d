using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Smolmix.Wire;

/// <summary>The Internet checksum (RFC 1071): ones' complement sum of 16-bit big-endian words.</summary>
internal static class InternetChecksum
{
    // 16-bit words summed into the SIMD lanes before they are emptied: a lane gets at most 2 × 65,535 per step.
    private const int ChunkWords = 32 * 1024;

    /// <summary>Adds <paramref name="data"/> to a running (unfolded) sum. Odd lengths are padded with a zero byte.</summary>
    /// <remarks>
    /// The ones' complement sum is independent of byte order (RFC 1071 §2(B)), so the bulk is summed as native
    /// 16-bit words — widened into 32-bit SIMD lanes where the hardware has them (the checksum was a third of the
    /// stack's CPU time in memory) — folded to 16 bits and byte-swapped once at the end.
    /// </remarks>
    public static ulong Add(ReadOnlySpan<byte> data, ulong sum = 0)
    {
        ReadOnlySpan<ushort> words = MemoryMarshal.Cast<byte, ushort>(data);
        ulong acc = 0;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int step = Vector<ushort>.Count;
            while (i + step <= words.Length)
            {
                // A lane takes two words per step; emptying the lanes every ChunkWords words keeps them below 2^32.
                int chunkEnd = Math.Min(words.Length, i + ChunkWords);
                Vector<uint> lanes = Vector<uint>.Zero;
                for (; i + step <= chunkEnd; i += step)
                {
                    Vector.Widen(new Vector<ushort>(words[i..]), out Vector<uint> low, out Vector<uint> high);
                    lanes += low + high;
                }

                for (int k = 0; k < Vector<uint>.Count; k++)
                {
                    acc += lanes[k];
                }
            }
        }

        for (; i < words.Length; i++)
        {
            acc += words[i];
        }

        // Fold 64 -> 16 bits in native order (end-around carry), then convert to network order.
        acc = (acc & 0xFFFFFFFF) + (acc >> 32);
        acc = (acc & 0xFFFF) + (acc >> 16);
        acc = (acc & 0xFFFF) + (acc >> 16);
        acc = (acc & 0xFFFF) + (acc >> 16);
        ushort folded = (ushort)acc;
        sum += BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(folded) : folded;
        if ((data.Length & 1) != 0)
        {
            sum += (ulong)(data[^1] << 8);
        }

        return sum;
    }

    /// <summary>Adds a 16-bit value.</summary>
    public static ulong Add(ulong sum, ushort value) => sum + value;

    /// <summary>Folds a running sum to 16 bits and complements it: the value to put in a header.</summary>
    public static ushort Finish(ulong sum)
    {
        while ((sum >> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return (ushort)~sum;
    }

    /// <summary>Checksum of a whole buffer.</summary>
    public static ushort Compute(ReadOnlySpan<byte> data) => Finish(Add(data));

    /// <summary>Pseudo-header sum for TCP/UDP/ICMPv6 over IPv4 or IPv6 (RFC 793, RFC 8200 §8.1).</summary>
    public static ulong PseudoHeader(in IpAddr source, in IpAddr destination, IpProtocol protocol, int length)
    {
        Span<byte> buf = stackalloc byte[16];
        int n = source.WriteTo(buf);
        ulong sum = Add(buf[..n]);
        n = destination.WriteTo(buf);
        sum = Add(buf[..n], sum);
        sum += (ulong)protocol;
        sum += (uint)length;
        return sum;
    }
}
