using System.Buffers.Binary;
using CsCheck;
using Smolmix.Wire;

namespace Smolmix.Tests.Wire;

public class TcpHeaderTests
{
    private static readonly IpAddr A = IpAddr.Parse("10.0.0.1");
    private static readonly IpAddr B = IpAddr.Parse("10.0.0.2");

    /// <summary>A SYN-ACK with options; these bytes were produced independently by PacketDotNet.</summary>
    private const string GoldenSegment =
        "04D2005000000064000000C8A012138816100000020405B40402080A00000001000000020103030701" + "0203";

    private static TcpOptions SynOptions()
    {
        TcpOptions o = TcpOptions.Empty;
        o.Mss = 1460;
        o.SackPermitted = true;
        o.HasTimestamps = true;
        o.TsVal = 1;
        o.TsEcr = 2;
        o.WindowScale = 7;
        return o;
    }

    [Fact]
    public void WriteProducesGoldenBytes()
    {
        TcpOptions o = SynOptions();
        var seg = new byte[20 + 20 + 3];
        seg[40] = 1; seg[41] = 2; seg[42] = 3;
        int hl = TcpHeader.Write(seg, 1234, 80, 100, 200, TcpFlags.Syn | TcpFlags.Ack, 5000, o, 3, A, B);
        Assert.Equal(40, hl);
        Assert.Equal(GoldenSegment, Convert.ToHexString(seg));
    }

    [Fact]
    public void ParsesGoldenFields()
    {
        byte[] seg = Convert.FromHexString(GoldenSegment);
        Assert.True(TcpHeader.TryParse(seg, A, B, out TcpHeader h, out DropReason r));
        Assert.Equal(DropReason.None, r);
        Assert.Equal(1234, h.SourcePort);
        Assert.Equal(80, h.DestinationPort);
        Assert.Equal(100u, h.SequenceNumber);
        Assert.Equal(200u, h.AcknowledgmentNumber);
        Assert.Equal(40, h.HeaderLength);
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, h.Flags);
        Assert.Equal(5000, h.Window);
        Assert.Equal(0, h.UrgentPointer);
        Assert.Equal(20, h.OptionBytes.Length);
        Assert.Equal([1, 2, 3], h.Payload.ToArray());
        Assert.True(TcpOptions.TryParse(h.OptionBytes, out TcpOptions o));
        Assert.Equal(1460, o.Mss);
        Assert.Equal(7, o.WindowScale);
    }

    [Fact]
    public void WrongAddressesFailTheChecksum()
    {
        byte[] seg = Convert.FromHexString(GoldenSegment);
        // (Swapping source and destination would pass: the pseudo-header sum is symmetric.)
        Assert.False(TcpHeader.TryParse(seg, A, IpAddr.Parse("10.0.0.3"), out _, out DropReason r));
        Assert.Equal(DropReason.BadChecksum, r);
    }

    [Fact]
    public void EveryTruncationIsRejected()
    {
        byte[] seg = Convert.FromHexString(GoldenSegment);
        for (int len = 0; len < seg.Length; len++)
        {
            Assert.False(TcpHeader.TryParse(seg.AsSpan(0, len), A, B, out _, out DropReason r));
            Assert.Equal(len < 20 ? DropReason.Truncated : len < 40 ? DropReason.BadHeaderLength : DropReason.BadChecksum, r);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(11)]
    [InlineData(15)]
    public void BadDataOffset(int words)
    {
        byte[] seg = Convert.FromHexString(GoldenSegment);
        seg[12] = (byte)(words << 4);
        Assert.False(TcpHeader.TryParse(seg, A, B, out _, out DropReason r));
        Assert.Equal(DropReason.BadHeaderLength, r);
    }

    [Fact]
    public void EveryBitFlipFailsTheChecksum()
    {
        byte[] good = Convert.FromHexString(GoldenSegment);
        for (int bit = 0; bit < good.Length * 8; bit++)
        {
            byte[] seg = (byte[])good.Clone();
            seg[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(TcpHeader.TryParse(seg, A, B, out _, out DropReason r));
            Assert.True(r is DropReason.BadChecksum or DropReason.BadHeaderLength, r.ToString());
        }
    }

    [Fact]
    public void RandomSegmentsRoundTrip() =>
        Gen.Select(Gen.Bool, Gen.UShort, Gen.UShort, Gen.UInt, Gen.UInt, Gen.Byte, Gen.UShort, Gen.Byte.Array[0, 1400])
            .Select(Gen.Bool, Gen.UInt, Gen.Int[0, 3], (t, ts, tsv, sacks) => (t, ts, tsv, sacks))
            .Sample(x =>
            {
                var (v6, sp, dp, seq, ack, flags, win, payload) = x.t;
                IpAddr s = v6 ? Packets.V6A : Packets.V4A, d = v6 ? Packets.V6B : Packets.V4B;
                TcpOptions o = TcpOptions.Empty;
                o.HasTimestamps = x.ts;
                o.TsVal = x.tsv;
                for (int i = 0; i < x.sacks; i++)
                {
                    o.AddSack(new SackBlock(seq + (uint)i * 100, seq + (uint)i * 100 + 50));
                }
                byte[] p = Packets.Tcp(s, d, sp, dp, seq, ack, (TcpFlags)flags, win, o, payload);
                ReadOnlySpan<byte> seg = p.AsSpan(Packets.IpHeaderLength(s));
                Assert.True(TcpHeader.TryParse(seg, s, d, out TcpHeader h, out DropReason r), r.ToString());
                Assert.Equal(sp, h.SourcePort);
                Assert.Equal(dp, h.DestinationPort);
                Assert.Equal(seq, h.SequenceNumber);
                Assert.Equal(ack, h.AcknowledgmentNumber);
                Assert.Equal((TcpFlags)flags, h.Flags);
                Assert.Equal(win, h.Window);
                Assert.Equal(20 + o.EncodedLength, h.HeaderLength);
                Assert.True(h.Payload.SequenceEqual(payload));
                Assert.True(TcpOptions.TryParse(h.OptionBytes, out TcpOptions back));
                Assert.Equal(x.ts, back.HasTimestamps);
                Assert.Equal(x.sacks, back.SackCount);
                Assert.Equal(0, InternetChecksumTests.Naive(seg,
                    (uint)(InternetChecksum.PseudoHeader(s, d, IpProtocol.Tcp, seg.Length) % 0xFFFF)));
            }, iter: 1000);

    [Fact]
    public void ChecksumFieldIsBigEndianAtOffset16()
    {
        byte[] seg = Convert.FromHexString(GoldenSegment);
        Assert.Equal(0x1610, BinaryPrimitives.ReadUInt16BigEndian(seg.AsSpan(16)));
    }
}
