using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Smolmix.Wire;

/// <summary>The Internet checksum (RFC 1071): ones' complement sum of 16-bit big-endian words.</summary>
internal static class InternetChecksum
{
    /// <summary>Adds <paramref name="data"/> to a running (unfolded) sum. Odd lengths are padded with a zero byte.</summary>
    /// <remarks>
    /// The ones' complement sum is independent of byte order (RFC 1071 §2(B)), so the bulk is summed as
    /// native 64-bit words with end-around carry, folded to 16 bits and byte-swapped once at the end.
    /// </remarks>
    public static ulong Add(ReadOnlySpan<byte> data, ulong sum = 0)
    {
        ulong acc = 0;
        ReadOnlySpan<ulong> words = MemoryMarshal.Cast<byte, ulong>(data);
        foreach (ulong w in words)
        {
            acc += w;
            if (acc < w)
            {
                acc++; // end-around carry
            }
        }
        int i = words.Length * 8;
        ulong tail = 0;
        for (; i + 1 < data.Length; i += 2)
        {
            tail += MemoryMarshal.Read<ushort>(data[i..]);
        }
        acc += tail;
        if (acc < tail)
        {
            acc++;
        }
        // Fold 64 -> 16 bits in native order, then convert to network order.
        acc = (acc & 0xFFFFFFFF) + (acc >> 32);
        acc = (acc & 0xFFFF) + (acc >> 16);
        acc = (acc & 0xFFFF) + (acc >> 16);
        acc = (acc & 0xFFFF) + (acc >> 16);
        ushort folded = (ushort)acc;
        sum += BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(folded) : folded;
        if (i < data.Length)
        {
            sum += (ulong)(data[i] << 8);
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
