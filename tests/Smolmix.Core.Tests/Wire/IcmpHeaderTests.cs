using CsCheck;
using Smolmix.Wire;

namespace Smolmix.Tests.Wire;

public class IcmpHeaderTests
{
    [Fact]
    public void V4EchoGolden()
    {
        // 0800 + 0007 + 0009 + 0102 + 0304 = 0x0c16 → checksum 0xf3e9 (matches PacketDotNet's encoding).
        var m = new byte[12];
        m[8] = 1; m[9] = 2; m[10] = 3; m[11] = 4;
        Assert.Equal(8, IcmpHeader.Write(m, false, IcmpHeader.V4EchoRequest, 0, 0x00070009, 4, default, default));
        Assert.Equal("0800F3E90007000901020304", Convert.ToHexString(m));
        Assert.True(IcmpHeader.TryParse(m, false, default, default, out IcmpHeader h, out DropReason r));
        Assert.Equal(DropReason.None, r);
        Assert.Equal(IcmpHeader.V4EchoRequest, h.Type);
        Assert.Equal(0, h.Code);
        Assert.Equal(7, h.Identifier);
        Assert.Equal(9, h.SequenceNumber);
        Assert.Equal([1, 2, 3, 4], h.Body.ToArray());
        Assert.Equal(12, h.Message.Length);
    }

    [Fact]
    public void V4ChecksumIgnoresAddresses()
    {
        byte[] p = Packets.Echo(Packets.V4A, Packets.V4B, true, 1, 2, [5]);
        Assert.True(IcmpHeader.TryParse(p.AsSpan(20), false, Packets.V4B, Packets.V4A, out _, out _));
    }

    [Fact]
    public void V6UsesThePseudoHeader()
    {
        byte[] p = Packets.Echo(Packets.V6A, Packets.V6B, true, 1, 2, [5, 6, 7]);
        ReadOnlySpan<byte> m = p.AsSpan(40);
        Assert.True(IcmpHeader.TryParse(m, true, Packets.V6A, Packets.V6B, out IcmpHeader h, out _));
        Assert.Equal(IcmpHeader.V6EchoRequest, h.Type);
        Assert.False(IcmpHeader.TryParse(m, true, Packets.V6A, IpAddr.Parse("2001:db8::99"), out _, out DropReason r));
        Assert.Equal(DropReason.BadChecksum, r);
        Assert.False(IcmpHeader.TryParse(m, false, Packets.V6A, Packets.V6B, out _, out r));
        Assert.Equal(DropReason.BadChecksum, r);
    }

    [Fact]
    public void ErrorFields()
    {
        var m = new byte[8 + 28];
        IcmpHeader.Write(m, false, IcmpHeader.V4DestinationUnreachable, IcmpHeader.V4CodeFragmentationNeeded, 1400, 28, default, default);
        Assert.True(IcmpHeader.TryParse(m, false, default, default, out IcmpHeader h, out _));
        Assert.Equal(1400, h.V4NextHopMtu);
        Assert.Equal(28, h.Body.Length);

        var m6 = new byte[8 + 48];
        IcmpHeader.Write(m6, true, IcmpHeader.V6PacketTooBig, 0, 1280, 48, Packets.V6A, Packets.V6B);
        Assert.True(IcmpHeader.TryParse(m6, true, Packets.V6A, Packets.V6B, out h, out _));
        Assert.Equal(1280u, h.V6Mtu);
    }

    [Fact]
    public void EveryTruncationIsRejected()
    {
        byte[] p = Packets.Echo(Packets.V6A, Packets.V6B, false, 1, 2, [5, 6, 7, 8]);
        byte[] m = p[40..];
        for (int len = 0; len < m.Length; len++)
        {
            Assert.False(IcmpHeader.TryParse(m.AsSpan(0, len), true, Packets.V6A, Packets.V6B, out _, out DropReason r));
            Assert.Equal(len < 8 ? DropReason.Truncated : DropReason.BadChecksum, r);
        }
    }

    [Fact]
    public void RandomMessagesRoundTrip() =>
        Gen.Select(Gen.Bool, Gen.Byte, Gen.Byte, Gen.UInt, Gen.Byte.Array[0, 1200]).Sample((v6, type, code, rest, body) =>
        {
            IpAddr s = v6 ? Packets.V6A : Packets.V4A, d = v6 ? Packets.V6B : Packets.V4B;
            var m = new byte[8 + body.Length];
            body.CopyTo(m, 8);
            IcmpHeader.Write(m, v6, type, code, rest, body.Length, s, d);
            Assert.True(IcmpHeader.TryParse(m, v6, s, d, out IcmpHeader h, out DropReason r), r.ToString());
            Assert.Equal(type, h.Type);
            Assert.Equal(code, h.Code);
            Assert.Equal((ushort)(rest >> 16), h.Identifier);
            Assert.Equal((ushort)rest, h.SequenceNumber);
            Assert.Equal(rest, h.V6Mtu);
            Assert.True(h.Body.SequenceEqual(body));
        }, iter: 2000);
}
