using CsCheck;
using Smolmix.Wire;

namespace Smolmix.Tests.Wire;

public class InternetChecksumTests
{
    /// <summary>Straightforward RFC 1071 reference: 16-bit words, end-around carry, complement.</summary>
    internal static ushort Naive(ReadOnlySpan<byte> data, uint initial = 0)
    {
        uint sum = initial;
        for (int i = 0; i < data.Length; i += 2)
        {
            int word = data[i] << 8 | (i + 1 < data.Length ? data[i + 1] : 0);
            sum += (uint)word;
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }

    [Fact]
    public void Rfc1071Example()
    {
        // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to 0xddf2.
        byte[] data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        Assert.Equal(0x220d, InternetChecksum.Compute(data));
        Assert.Equal(0xddf2UL, Fold(InternetChecksum.Add(data)));
    }

    [Fact]
    public void KnownIpv4Header()
    {
        byte[] header = Convert.FromHexString("450000730000400040110000c0a80001c0a800c7");
        Assert.Equal(0xb861, InternetChecksum.Compute(header));
        header[10] = 0xb8;
        header[11] = 0x61;
        Assert.Equal(0, InternetChecksum.Compute(header));
    }

    [Fact]
    public void OddLengthPadsWithZero()
    {
        Assert.Equal(0x0100UL, InternetChecksum.Add([0x01]));
        Assert.Equal(InternetChecksum.Compute([0xAB, 0xCD, 0xEF, 0x00]), InternetChecksum.Compute([0xAB, 0xCD, 0xEF]));
    }

    [Fact]
    public void EmptyAndZeros()
    {
        Assert.Equal(0xFFFF, InternetChecksum.Compute([]));
        Assert.Equal(0xFFFF, InternetChecksum.Compute(new byte[7]));
        Assert.Equal(0, InternetChecksum.Compute([0xFF, 0xFF]));
    }

    [Fact]
    public void AddUShortIsOneWord()
    {
        ulong s = InternetChecksum.Add(InternetChecksum.Add([0x12, 0x34]), 0xABCD);
        Assert.Equal(InternetChecksum.Compute([0x12, 0x34, 0xAB, 0xCD]), InternetChecksum.Finish(s));
    }

    [Fact]
    public void MisalignedSpansAgree()
    {
        byte[] data = Packets.RandomBytes(1001, 7);
        for (int start = 0; start < 8; start++)
        {
            ReadOnlySpan<byte> s = data.AsSpan(start);
            Assert.Equal(Naive(s), InternetChecksum.Compute(s));
        }
    }

    [Fact]
    public void LargeBuffersDoNotOverflow()
    {
        byte[] ones = new byte[1 << 20];
        Array.Fill(ones, (byte)0xFF);
        Assert.Equal(Naive(ones), InternetChecksum.Compute(ones));
        Assert.Equal(Naive(ones.AsSpan(1)), InternetChecksum.Compute(ones.AsSpan(1)));
    }

    [Fact]
    public void MatchesNaiveOnRandomData() =>
        Gen.Byte.Array[0, 2000].Sample(data => Assert.Equal(Naive(data), InternetChecksum.Compute(data)), iter: 3000);

    [Fact]
    public void IncrementalOverEvenSplitsEqualsOneShot() =>
        Gen.Select(Gen.Byte.Array[0, 1500], Gen.Int[0, 750], Gen.Int[0, 750]).Sample((data, a, b) =>
        {
            int x = Math.Min(a * 2, data.Length) & ~1;
            int y = Math.Min(Math.Max(x, b * 2), data.Length) & ~1;
            y = Math.Max(x, y);
            ulong sum = InternetChecksum.Add(data.AsSpan(0, x));
            sum = InternetChecksum.Add(data.AsSpan(x, y - x), sum);
            sum = InternetChecksum.Add(data.AsSpan(y), sum);
            Assert.Equal(InternetChecksum.Compute(data), InternetChecksum.Finish(sum));
        }, iter: 3000);

    [Fact]
    public void VerifyingDataWithItsChecksumGivesZero() =>
        Gen.Byte.Array[1, 600].Sample(data =>
        {
            // Put the checksum in the first two bytes (zeroed for computing) and verify.
            byte[] d = (byte[])data.Clone();
            if (d.Length < 2)
            {
                return;
            }
            d[0] = 0;
            d[1] = 0;
            if (Array.TrueForAll(d, b => b == 0))
            {
                return; // All-zero data is the one case ones' complement cannot verify to 0.
            }
            ushort c = InternetChecksum.Compute(d);
            d[0] = (byte)(c >> 8);
            d[1] = (byte)c;
            Assert.Equal(0, InternetChecksum.Compute(d));
        }, iter: 2000);

    [Fact]
    public void PseudoHeaderV4MatchesNaive()
    {
        byte[] ph = Convert.FromHexString("c0000201c633640700060123"); // 192.0.2.1, 198.51.100.7, 0, TCP, 0x123
        ulong sum = InternetChecksum.PseudoHeader(Packets.V4A, Packets.V4B, IpProtocol.Tcp, 0x123);
        Assert.Equal(Naive(ph), InternetChecksum.Finish(sum));
    }

    [Fact]
    public void PseudoHeaderV6MatchesNaive()
    {
        // RFC 8200 §8.1: source, destination, 32-bit upper-layer length, 3 zero bytes, next header.
        var ph = new byte[40];
        Packets.V6A.WriteTo(ph);
        Packets.V6B.WriteTo(ph.AsSpan(16));
        ph[34] = 0x01;
        ph[35] = 0x23;
        ph[39] = 17;
        ulong sum = InternetChecksum.PseudoHeader(Packets.V6A, Packets.V6B, IpProtocol.Udp, 0x123);
        Assert.Equal(Naive(ph), InternetChecksum.Finish(sum));
    }

    [Fact]
    public void EveryLengthAndOffsetMatchesTheReference()
    {
        // Covers the SIMD steps, their scalar tail and odd lengths, at aligned and unaligned starts.
        var random = new Random(1071);
        byte[] data = new byte[1600];
        random.NextBytes(data);
        for (int offset = 0; offset < 3; offset++)
        {
            for (int length = 0; length + offset <= data.Length; length++)
            {
                ReadOnlySpan<byte> slice = data.AsSpan(offset, length);
                Assert.Equal(Naive(slice), InternetChecksum.Compute(slice));
            }
        }
    }

    [Fact]
    public void BuffersLongerThanOneLaneChunkDoNotOverflow()
    {
        // All ones: every word 0xFFFF, the largest a lane can take; 300 KB spans several chunks.
        byte[] data = new byte[300_001];
        Array.Fill(data, (byte)0xFF);
        Assert.Equal(Naive(data), InternetChecksum.Compute(data));
        new Random(7).NextBytes(data);
        Assert.Equal(Naive(data), InternetChecksum.Compute(data));
    }

    private static ulong Fold(ulong s)
    {
        while ((s >> 16) != 0)
        {
            s = (s & 0xFFFF) + (s >> 16);
        }
        return s;
    }
}
