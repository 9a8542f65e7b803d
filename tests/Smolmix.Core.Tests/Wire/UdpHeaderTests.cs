using System.Buffers.Binary;
using CsCheck;
using Smolmix.Wire;

namespace Smolmix.Tests.Wire;

public class UdpHeaderTests
{
    private static readonly IpAddr A = IpAddr.Parse("10.0.0.1");
    private static readonly IpAddr B = IpAddr.Parse("10.0.0.2");

    [Fact]
    public void WriteProducesGoldenBytes()
    {
        // Checksum worked by hand: 0a00+0001+0a00+0002 + 0011 + 000c + 0035+14e9+000c + 0102+0304 = 0x2d50 → ~ = 0xd2af.
        byte[] d = new byte[12];
        d[8] = 1; d[9] = 2; d[10] = 3; d[11] = 4;
        Assert.Equal(8, UdpHeader.Write(d, 53, 5353, 4, A, B));
        Assert.Equal("003514E9000CD2AF01020304", Convert.ToHexString(d));
    }

    [Fact]
    public void ParsesGolden()
    {
        byte[] d = Convert.FromHexString("003514E9000CD2AF01020304");
        Assert.True(UdpHeader.TryParse(d, A, B, out UdpHeader h, out DropReason r));
        Assert.Equal(DropReason.None, r);
        Assert.Equal(53, h.SourcePort);
        Assert.Equal(5353, h.DestinationPort);
        Assert.Equal([1, 2, 3, 4], h.Payload.ToArray());
    }

    [Fact]
    public void ZeroChecksumAcceptedOnV4Only()
    {
        byte[] d = Convert.FromHexString("003514E9000C000001020304");
        Assert.True(UdpHeader.TryParse(d, A, B, out _, out _));
        Assert.False(UdpHeader.TryParse(d, Packets.V6A, Packets.V6B, out _, out DropReason r));
        Assert.Equal(DropReason.BadChecksum, r);
    }

    [Fact]
    public void BadChecksum()
    {
        byte[] d = Convert.FromHexString("003514E9000CD2AE01020304");
        Assert.False(UdpHeader.TryParse(d, A, B, out _, out DropReason r));
        Assert.Equal(DropReason.BadChecksum, r);
    }

    [Fact]
    public void LengthFieldBounds()
    {
        byte[] d = Convert.FromHexString("003514E9000CD2AF01020304");
        d[5] = 7;
        Assert.False(UdpHeader.TryParse(d, A, B, out _, out DropReason r));
        Assert.Equal(DropReason.BadLength, r);
        d[5] = 13;
        Assert.False(UdpHeader.TryParse(d, A, B, out _, out r));
        Assert.Equal(DropReason.BadLength, r);
    }

    [Fact]
    public void BytesBeyondTheLengthFieldAreIgnored()
    {
        byte[] d = [.. Convert.FromHexString("003514E9000CD2AF01020304"), 0xEE, 0xEE];
        Assert.True(UdpHeader.TryParse(d, A, B, out UdpHeader h, out _));
        Assert.Equal(4, h.Payload.Length);
    }

    [Fact]
    public void EveryTruncationIsRejected()
    {
        byte[] d = Convert.FromHexString("003514E9000CD2AF01020304");
        for (int len = 0; len < d.Length; len++)
        {
            Assert.False(UdpHeader.TryParse(d.AsSpan(0, len), A, B, out _, out DropReason r));
            Assert.Equal(len < 8 ? DropReason.Truncated : DropReason.BadLength, r);
        }
    }

    [Fact]
    public void ComputedZeroIsSentAsAllOnes()
    {
        // Find a 2-byte payload whose checksum computes to 0; RFC 768 says to send it as 0xFFFF.
        var d = new byte[10];
        for (int v = 0; v <= 0xFFFF; v++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(8), (ushort)v);
            d[6] = 0; d[7] = 0;
            ulong sum = InternetChecksum.Add(d, InternetChecksum.PseudoHeader(A, B, IpProtocol.Udp, 10));
            // Length field is written by Write, so include it.
            sum += 10;
            if (InternetChecksum.Finish(sum) == 0)
            {
                UdpHeader.Write(d, 0, 0, 2, A, B);
                Assert.Equal(0xFFFF, BinaryPrimitives.ReadUInt16BigEndian(d.AsSpan(6)));
                Assert.True(UdpHeader.TryParse(d, A, B, out _, out _));
                return;
            }
        }
        Assert.Fail("no payload with a zero checksum found");
    }

    [Fact]
    public void RandomDatagramsRoundTrip() =>
        Gen.Select(Gen.Bool, Gen.UShort, Gen.UShort, Gen.Byte.Array[0, 2000]).Sample((v6, sp, dp, payload) =>
        {
            IpAddr s = v6 ? Packets.V6A : Packets.V4A, d = v6 ? Packets.V6B : Packets.V4B;
            byte[] u = Packets.UdpDatagram(s, d, sp, dp, payload);
            Assert.True(UdpHeader.TryParse(u, s, d, out UdpHeader h, out DropReason r), r.ToString());
            Assert.Equal(sp, h.SourcePort);
            Assert.Equal(dp, h.DestinationPort);
            Assert.True(h.Payload.SequenceEqual(payload));
            Assert.NotEqual(0, BinaryPrimitives.ReadUInt16BigEndian(u.AsSpan(6)));
        }, iter: 2000);
}
