using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Smolmix.Wire;

/// <summary>The Internet checksum (RFC 1071): ones' complement sum of 16-bit big-endian words.</summary>
internal static class InternetChecksum
{
    /// <summary>Adds <paramref name="data"/> to a running (unfolded) sum. Odd lengths are padded with a zero byte.</summary>
    public static ulong Add(ReadOnlySpan<byte> data, ulong sum = 0)
    {
        // Sum 32-bit big-endian words into a 64-bit accumulator; folding later is equivalent.
        int i = 0;
        ReadOnlySpan<uint> words = MemoryMarshal.Cast<byte, uint>(data);
        if (BitConverter.IsLittleEndian)
        {
            foreach (uint w in words)
            {
                sum += BinaryPrimitives.ReverseEndianness(w);
            }
        }
        else
        {
            foreach (uint w in words)
            {
                sum += w;
            }
        }
        i = words.Length * 4;
        if (i + 2 <= data.Length)
        {
            sum += (ulong)(data[i] << 8 | data[i + 1]);
            i += 2;
        }
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
