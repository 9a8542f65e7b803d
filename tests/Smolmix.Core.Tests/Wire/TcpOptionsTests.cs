using CsCheck;
using Smolmix.Wire;

namespace Smolmix.Tests.Wire;

public class TcpOptionsTests
{
    private static string Encode(in TcpOptions o)
    {
        var b = new byte[64];
        int n = o.WriteTo(b);
        Assert.Equal(o.EncodedLength, n);
        return Convert.ToHexString(b, 0, n);
    }

    [Fact]
    public void LinuxSynOrder()
    {
        TcpOptions o = TcpOptions.Empty;
        o.Mss = 1460;
        o.SackPermitted = true;
        o.HasTimestamps = true;
        o.TsVal = 0x01020304;
        o.TsEcr = 0;
        o.WindowScale = 7;
        // What Linux puts in a SYN: MSS, SACK-permitted + timestamps, NOP, window scale.
        Assert.Equal("020405B4" + "0402080A" + "01020304" + "00000000" + "01030307", Encode(o));
    }

    [Fact]
    public void SackPermittedAloneIsNopPadded()
    {
        TcpOptions o = TcpOptions.Empty;
        o.SackPermitted = true;
        Assert.Equal("01010402", Encode(o));
    }

    [Fact]
    public void TimestampsAloneAreNopPadded()
    {
        TcpOptions o = TcpOptions.Empty;
        o.HasTimestamps = true;
        o.TsVal = 5;
        o.TsEcr = 6;
        Assert.Equal("0101080A0000000500000006", Encode(o));
    }

    [Fact]
    public void SackBlocksFollowTimestamps()
    {
        TcpOptions o = TcpOptions.Empty;
        o.HasTimestamps = true;
        o.TsVal = 1;
        o.TsEcr = 2;
        o.AddSack(new SackBlock(100, 200));
        o.AddSack(new SackBlock(300, 400));
        Assert.Equal("0101080A0000000100000002" + "01010512" + "00000064000000C8" + "0000012C00000190", Encode(o));
    }

    [Fact]
    public void EmptyEncodesToNothing()
    {
        Assert.Equal(0, TcpOptions.Empty.EncodedLength);
        Assert.Equal("", Encode(TcpOptions.Empty));
        Assert.True(TcpOptions.TryParse([], out TcpOptions p));
        Assert.Equal(0, p.Mss);
        Assert.Equal(-1, p.WindowScale);
    }

    [Fact]
    public void SackBlocksThatDoNotFitInFortyBytesAreLeftOut()
    {
        // Regression: timestamps (12) + 4 SACK blocks (36) made 48 bytes, which overflowed the 4-bit data
        // offset in TcpHeader.Write. Only 3 blocks fit with timestamps.
        TcpOptions o = TcpOptions.Empty;
        o.HasTimestamps = true;
        for (uint i = 0; i < 4; i++)
        {
            o.AddSack(new SackBlock(i * 10, i * 10 + 5));
        }
        Assert.Equal(3, o.EncodedSackCount);
        Assert.Equal(40, o.EncodedLength);
        byte[] packet = Packets.Tcp(Packets.V4A, Packets.V4B, 1, 2, 3, 4, TcpFlags.Ack, 5, o, [9]);
        Assert.True(Ipv4Header.TryParse(packet, out Ipv4Header ip, out _));
        Assert.True(TcpHeader.TryParse(ip.Payload, ip.Source, ip.Destination, out TcpHeader tcp, out DropReason r), r.ToString());
        Assert.Equal(60, tcp.HeaderLength);
        Assert.Equal(9, tcp.Payload[0]);
        Assert.True(TcpOptions.TryParse(tcp.OptionBytes, out TcpOptions back));
        Assert.Equal(3, back.SackCount);
        Assert.Equal(new SackBlock(20, 25), back.GetSack(2));

        TcpOptions noTs = TcpOptions.Empty;
        for (uint i = 0; i < 4; i++)
        {
            noTs.AddSack(new SackBlock(i, i + 1));
        }
        Assert.Equal(4, noTs.EncodedSackCount);
        Assert.Equal(36, noTs.EncodedLength);

        TcpOptions everything = o;
        everything.Mss = 1000;
        everything.WindowScale = 3;
        everything.SackPermitted = true;
        Assert.Equal(2, everything.EncodedSackCount);
        Assert.Equal(40, everything.EncodedLength);
    }

    [Fact]
    public void AddSackIgnoresAFifthBlock()
    {
        TcpOptions o = TcpOptions.Empty;
        for (uint i = 0; i < 6; i++)
        {
            o.AddSack(new SackBlock(i, i + 1));
        }
        Assert.Equal(TcpOptions.MaxSackBlocks, o.SackCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => o.GetSack(4));
    }

    [Fact]
    public void ParsesLinuxSyn()
    {
        byte[] area = Convert.FromHexString("020405B40402080A0102030400000000010303070000");
        Assert.True(TcpOptions.TryParse(area, out TcpOptions o));
        Assert.Equal(1460, o.Mss);
        Assert.True(o.SackPermitted);
        Assert.True(o.HasTimestamps);
        Assert.Equal(0x01020304u, o.TsVal);
        Assert.Equal(0u, o.TsEcr);
        Assert.Equal(7, o.WindowScale);
        Assert.Equal(0, o.SackCount);
    }

    [Fact]
    public void WindowScaleIsClampedTo14()
    {
        Assert.True(TcpOptions.TryParse([3, 3, 200, 0], out TcpOptions o));
        Assert.Equal(14, o.WindowScale);
    }

    [Fact]
    public void UnknownOptionsAreSkipped()
    {
        Assert.True(TcpOptions.TryParse([30, 6, 1, 2, 3, 4, 2, 4, 0x01, 0x00], out TcpOptions o));
        Assert.Equal(256, o.Mss);
    }

    [Fact]
    public void EndOfListStopsParsing()
    {
        Assert.True(TcpOptions.TryParse([2, 4, 0, 100, 0, 0xFF, 0xFF, 0xFF], out TcpOptions o));
        Assert.Equal(100, o.Mss);
    }

    [Theory]
    [InlineData("02")] // Kind without length.
    [InlineData("0101010102")] // Kind without length after NOPs.
    [InlineData("0200")] // Length 0.
    [InlineData("0201")] // Length 1.
    [InlineData("020505B400")] // MSS length 5.
    [InlineData("020305")] // MSS length 3.
    [InlineData("03040700")] // Window scale length 4.
    [InlineData("0403")] // SACK-permitted length 3 (runs past).
    [InlineData("04030000")] // SACK-permitted length 3.
    [InlineData("0509000000000000000000")] // SACK length 9.
    [InlineData("0502")] // SACK with no blocks.
    [InlineData("080800000000000000")] // Timestamps length 8.
    [InlineData("080A0000000000000000FF")] // Timestamps length 10 then junk kind without length.
    [InlineData("020405")] // MSS running past the area.
    [InlineData("1E0A000000")] // Unknown option running past the area.
    public void MalformedOptionsAreRejected(string hex) =>
        Assert.False(TcpOptions.TryParse(Convert.FromHexString(hex), out _));

    [Fact]
    public void RandomOptionsRoundTrip() =>
        Gen.Select(Gen.UShort, Gen.Int[-1, 14], Gen.Bool, Gen.Bool, Gen.UInt, Gen.UInt, Gen.Int[0, 4], Gen.UInt.Array[8])
            .Sample((mss, ws, sackOk, ts, tsVal, tsEcr, blocks, edges) =>
            {
                TcpOptions o = TcpOptions.Empty;
                o.Mss = mss;
                o.WindowScale = (sbyte)ws;
                o.SackPermitted = sackOk;
                o.HasTimestamps = ts;
                o.TsVal = tsVal;
                o.TsEcr = tsEcr;
                for (int i = 0; i < blocks; i++)
                {
                    o.AddSack(new SackBlock(edges[2 * i], edges[2 * i + 1]));
                }
                var area = new byte[TcpOptions.MaxLength];
                int n = o.WriteTo(area);
                Assert.Equal(o.EncodedLength, n);
                Assert.True(n <= TcpOptions.MaxLength);
                Assert.Equal(0, n % 4);
                Assert.True(TcpOptions.TryParse(area.AsSpan(0, n), out TcpOptions p));
                Assert.Equal(mss, p.Mss);
                Assert.Equal(ws, p.WindowScale);
                Assert.Equal(sackOk, p.SackPermitted);
                Assert.Equal(ts, p.HasTimestamps);
                Assert.Equal(ts ? tsVal : 0, p.TsVal);
                Assert.Equal(ts ? tsEcr : 0, p.TsEcr);
                Assert.Equal(o.EncodedSackCount, p.SackCount);
                for (int i = 0; i < p.SackCount; i++)
                {
                    Assert.Equal(o.GetSack(i), p.GetSack(i));
                }
            }, iter: 3000);

    [Fact]
    public void RandomAreasNeverThrow() =>
        Gen.Byte.Array[0, 40].Sample(area => { TcpOptions.TryParse(area, out _); }, iter: 20000);
}
