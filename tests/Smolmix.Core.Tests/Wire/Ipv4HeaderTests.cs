using System.Buffers.Binary;
using CsCheck;
using Smolmix.Wire;

namespace Smolmix.Tests.Wire;

public class Ipv4HeaderTests
{
    private static readonly byte[] Golden = Convert.FromHexString("45000073000040004011b861c0a80001c0a800c7");

    private static byte[] GoldenPacket()
    {
        var p = new byte[0x73];
        Golden.CopyTo(p, 0);
        return p;
    }

    [Fact]
    public void WriteProducesGoldenBytes()
    {
        var b = new byte[20];
        int n = Ipv4Header.Write(b, IpAddr.Parse("192.168.0.1"), IpAddr.Parse("192.168.0.199"), IpProtocol.Udp,
            0x73 - 20, identification: 0, ttl: 64, dontFragment: true);
        Assert.Equal(20, n);
        Assert.Equal(Convert.ToHexString(Golden), Convert.ToHexString(b));
    }

    [Fact]
    public void ParsesGoldenFields()
    {
        byte[] p = GoldenPacket();
        Assert.True(Ipv4Header.TryParse(p, out Ipv4Header h, out DropReason r));
        Assert.Equal(DropReason.None, r);
        Assert.Equal(20, h.HeaderLength);
        Assert.Equal(0x73, h.TotalLength);
        Assert.Equal(0, h.Identification);
        Assert.True(h.DontFragment);
        Assert.False(h.MoreFragments);
        Assert.Equal(0, h.FragmentOffset);
        Assert.False(h.IsFragment);
        Assert.Equal(64, h.Ttl);
        Assert.Equal(IpProtocol.Udp, h.Protocol);
        Assert.Equal(IpAddr.Parse("192.168.0.1"), h.Source);
        Assert.Equal(IpAddr.Parse("192.168.0.199"), h.Destination);
        Assert.Equal(0x73 - 20, h.Payload.Length);
        Assert.Equal(20, h.HeaderBytes.Length);
    }

    [Fact]
    public void TrailingLinkPaddingIsExcluded()
    {
        byte[] p = [.. GoldenPacket(), 0xEE, 0xEE, 0xEE];
        Assert.True(Ipv4Header.TryParse(p, out Ipv4Header h, out _));
        Assert.Equal(0x73 - 20, h.Payload.Length);
    }

    [Fact]
    public void EveryTruncationIsRejected()
    {
        byte[] p = GoldenPacket();
        for (int len = 0; len < p.Length; len++)
        {
            Assert.False(Ipv4Header.TryParse(p.AsSpan(0, len), out _, out DropReason r));
            Assert.Equal(DropReason.Truncated, r);
        }
    }

    [Theory]
    [InlineData(0x00)]
    [InlineData(0x65)]
    [InlineData(0xF5)]
    [InlineData(0x55)]
    public void BadVersion(byte first)
    {
        byte[] p = GoldenPacket();
        p[0] = first;
        Assert.False(Ipv4Header.TryParse(p, out _, out DropReason r));
        Assert.Equal(DropReason.BadVersion, r);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4)]
    public void IhlBelowFiveIsBadHeaderLength(int ihl)
    {
        byte[] p = GoldenPacket();
        p[0] = (byte)(0x40 | ihl);
        Assert.False(Ipv4Header.TryParse(p, out _, out DropReason r));
        Assert.Equal(DropReason.BadHeaderLength, r);
    }

    [Fact]
    public void IhlPastThePacketIsTruncated()
    {
        byte[] p = new byte[40];
        Ipv4Header.Write(p, Packets.V4A, Packets.V4B, IpProtocol.Udp, 20, 1);
        p[0] = 0x4F; // 60-byte header in a 40-byte packet.
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), 60);
        Assert.False(Ipv4Header.TryParse(p, out _, out DropReason r));
        Assert.Equal(DropReason.Truncated, r);
    }

    [Fact]
    public void TotalLengthBelowHeaderIsBadLength()
    {
        byte[] p = GoldenPacket();
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), 19);
        Assert.False(Ipv4Header.TryParse(p, out _, out DropReason r));
        Assert.Equal(DropReason.BadLength, r);
    }

    [Fact]
    public void TotalLengthPastThePacketIsTruncated()
    {
        byte[] p = GoldenPacket();
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), 0x74);
        Assert.False(Ipv4Header.TryParse(p, out _, out DropReason r));
        Assert.Equal(DropReason.Truncated, r);
    }

    [Fact]
    public void EveryBitFlipInTheHeaderIsCaught()
    {
        // A single flipped bit anywhere in the header either breaks a structural check or the checksum.
        for (int bit = 0; bit < 160; bit++)
        {
            byte[] p = GoldenPacket();
            p[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(Ipv4Header.TryParse(p, out _, out DropReason r));
            Assert.NotEqual(DropReason.None, r);
        }
        byte[] q = GoldenPacket();
        q[12] ^= 1;
        Assert.False(Ipv4Header.TryParse(q, out _, out DropReason reason));
        Assert.Equal(DropReason.BadChecksum, reason);
    }

    [Fact]
    public void OptionsAreSkipped()
    {
        // IHL 6: one 4-byte option (NOP NOP NOP EOL).
        var p = new byte[24 + 8];
        Ipv4Header.Write(p, Packets.V4A, Packets.V4B, IpProtocol.Udp, 12, 7);
        p[20] = 1; p[21] = 1; p[22] = 1; p[23] = 0;
        p[0] = 0x46;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), 32);
        p[10] = 0; p[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(10), InternetChecksum.Compute(p.AsSpan(0, 24)));
        p[24] = 0xAA;
        Assert.True(Ipv4Header.TryParse(p, out Ipv4Header h, out _));
        Assert.Equal(24, h.HeaderLength);
        Assert.Equal(24, h.HeaderBytes.Length);
        Assert.Equal(8, h.Payload.Length);
        Assert.Equal(0xAA, h.Payload[0]);
    }

    [Fact]
    public void FragmentFields()
    {
        var p = new byte[20 + 16];
        Ipv4Header.Write(p, Packets.V4A, Packets.V4B, IpProtocol.Udp, 16, 0xBEEF, dontFragment: false,
            moreFragments: true, fragmentOffset: 8 * 1000);
        Assert.True(Ipv4Header.TryParse(p, out Ipv4Header h, out _));
        Assert.True(h.IsFragment);
        Assert.True(h.MoreFragments);
        Assert.False(h.DontFragment);
        Assert.Equal(8000, h.FragmentOffset);
        Assert.Equal(0xBEEF, h.Identification);
        Assert.Equal(0x23, p[6]); // MF | offset high bits (1000 = 0x3E8).
        Assert.Equal(0xE8, p[7]);
    }

    [Fact]
    public void LastFragmentHasOffsetOnly()
    {
        var p = new byte[20 + 8];
        Ipv4Header.Write(p, Packets.V4A, Packets.V4B, IpProtocol.Udp, 8, 1, dontFragment: false, fragmentOffset: 64);
        Assert.True(Ipv4Header.TryParse(p, out Ipv4Header h, out _));
        Assert.True(h.IsFragment);
        Assert.False(h.MoreFragments);
        Assert.Equal(64, h.FragmentOffset);
    }

    [Fact]
    public void RandomFieldsRoundTrip() =>
        Gen.Select(Gen.UInt, Gen.UInt, Gen.Byte, Gen.UShort, Gen.Byte, Gen.Bool, Gen.Bool, Gen.Int[0, 8191])
            .Select(Gen.Int[0, 1480], (t, len) => (t, len))
            .Sample(x =>
            {
                var (src, dst, proto, id, ttl, df, mf, off) = x.t;
                var p = new byte[20 + x.len];
                IpAddr s = IpAddr.FromV4(src), d = IpAddr.FromV4(dst);
                Ipv4Header.Write(p, s, d, (IpProtocol)proto, x.len, id, ttl, df, mf, off * 8);
                Assert.True(Ipv4Header.TryParse(p, out Ipv4Header h, out DropReason r), r.ToString());
                Assert.Equal(s, h.Source);
                Assert.Equal(d, h.Destination);
                Assert.Equal((IpProtocol)proto, h.Protocol);
                Assert.Equal(id, h.Identification);
                Assert.Equal(ttl, h.Ttl);
                Assert.Equal(df, h.DontFragment);
                Assert.Equal(mf, h.MoreFragments);
                Assert.Equal(off * 8, h.FragmentOffset);
                Assert.Equal(20 + x.len, h.TotalLength);
                Assert.Equal(x.len, h.Payload.Length);
            }, iter: 2000);
}
