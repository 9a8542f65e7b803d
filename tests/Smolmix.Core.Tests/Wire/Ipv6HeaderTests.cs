using System.Buffers.Binary;
using CsCheck;
using Smolmix.Wire;

namespace Smolmix.Tests.Wire;

public class Ipv6HeaderTests
{
    private static byte[] UdpPacket(int payload = 12) => Packets.Udp(Packets.V6A, Packets.V6B, 1000, 2000, new byte[payload]);

    [Fact]
    public void WriteProducesGoldenBytes()
    {
        var b = new byte[40];
        Assert.Equal(40, Ipv6Header.Write(b, Packets.V6A, Packets.V6B, IpProtocol.Tcp, 0x1234, 55, 0xABCDE));
        Assert.Equal(
            "600ABCDE" + "1234" + "06" + "37" +
            "20010DB8000000000000000000000001" +
            "20010DB8000100000000000000000002",
            Convert.ToHexString(b));
    }

    [Fact]
    public void FlowLabelIsMaskedTo20Bits()
    {
        var b = new byte[40];
        Ipv6Header.Write(b, Packets.V6A, Packets.V6B, IpProtocol.Tcp, 0, 64, 0xFFFFFFFF);
        Assert.Equal(0x600FFFFFu, BinaryPrimitives.ReadUInt32BigEndian(b));
    }

    [Fact]
    public void ParsesPlainPacket()
    {
        byte[] p = UdpPacket();
        Assert.True(Ipv6Header.TryParse(p, out Ipv6Header h, out DropReason r));
        Assert.Equal(DropReason.None, r);
        Assert.Equal(Packets.V6A, h.Source);
        Assert.Equal(Packets.V6B, h.Destination);
        Assert.Equal(IpProtocol.Udp, h.Protocol);
        Assert.Equal(64, h.HopLimit);
        Assert.Equal(40, h.UpperLayerOffset);
        Assert.Equal(40, h.UnfragmentableEnd);
        Assert.False(h.IsFragment);
        Assert.Equal(-1, h.FragmentHeaderOffset);
        Assert.Equal(20, h.Payload.Length);
        Assert.Equal(60, h.Packet.Length);
    }

    [Fact]
    public void TrailingLinkPaddingIsExcluded()
    {
        byte[] p = [.. UdpPacket(), 0xEE, 0xEE];
        Assert.True(Ipv6Header.TryParse(p, out Ipv6Header h, out _));
        Assert.Equal(60, h.Packet.Length);
        Assert.Equal(20, h.Payload.Length);
    }

    [Fact]
    public void WalksExtensionHeaders()
    {
        byte[] p = Packets.V6WithExtensions(IpProtocol.Udp, new byte[12],
            (IpProtocol.HopByHop, 8), (IpProtocol.Ipv6DestinationOptions, 16), (IpProtocol.Ipv6Routing, 24),
            (IpProtocol.Ipv6DestinationOptions, 8));
        Assert.True(Ipv6Header.TryParse(p, out Ipv6Header h, out DropReason r), r.ToString());
        Assert.Equal(IpProtocol.Udp, h.Protocol);
        Assert.Equal(40 + 56, h.UpperLayerOffset);
        Assert.Equal(12, h.Payload.Length);
        Assert.False(h.IsFragment);
    }

    [Fact]
    public void HopByHopNotFirstIsRejected()
    {
        byte[] p = Packets.V6WithExtensions(IpProtocol.Udp, new byte[8],
            (IpProtocol.Ipv6DestinationOptions, 8), (IpProtocol.HopByHop, 8));
        Assert.False(Ipv6Header.TryParse(p, out _, out DropReason r));
        Assert.Equal(DropReason.BadOption, r);
    }

    [Fact]
    public void TooManyExtensionHeadersAreRejected()
    {
        var many = Enumerable.Repeat((IpProtocol.Ipv6DestinationOptions, 8), 17).ToArray();
        Assert.False(Ipv6Header.TryParse(Packets.V6WithExtensions(IpProtocol.Udp, new byte[8], many), out _, out DropReason r));
        Assert.Equal(DropReason.BadOption, r);

        var enough = Enumerable.Repeat((IpProtocol.Ipv6DestinationOptions, 8), 16).ToArray();
        Assert.True(Ipv6Header.TryParse(Packets.V6WithExtensions(IpProtocol.Udp, new byte[8], enough), out Ipv6Header h, out _));
        Assert.Equal(40 + 16 * 8, h.UpperLayerOffset);
    }

    [Fact]
    public void ExtensionHeaderRunningPastPayloadIsTruncated()
    {
        byte[] p = Packets.V6WithExtensions(IpProtocol.Udp, [], (IpProtocol.Ipv6DestinationOptions, 16));
        p[41] = 2; // Claims 24 bytes; only 16 present.
        Assert.False(Ipv6Header.TryParse(p, out _, out DropReason r));
        Assert.Equal(DropReason.Truncated, r);

        // Payload ends inside an extension header's first 8 bytes.
        byte[] q = Packets.V6WithExtensions(IpProtocol.Udp, [], (IpProtocol.Ipv6DestinationOptions, 8));
        BinaryPrimitives.WriteUInt16BigEndian(q.AsSpan(4), 4);
        Assert.False(Ipv6Header.TryParse(q, out _, out r));
        Assert.Equal(DropReason.Truncated, r);
    }

    [Fact]
    public void PayloadLengthLyingIsTruncated()
    {
        byte[] p = UdpPacket();
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), 21);
        Assert.False(Ipv6Header.TryParse(p, out _, out DropReason r));
        Assert.Equal(DropReason.Truncated, r);
    }

    [Theory]
    [InlineData(0x40)]
    [InlineData(0x00)]
    [InlineData(0x70)]
    public void BadVersion(byte first)
    {
        byte[] p = UdpPacket();
        p[0] = first;
        Assert.False(Ipv6Header.TryParse(p, out _, out DropReason r));
        Assert.Equal(DropReason.BadVersion, r);
    }

    [Fact]
    public void EveryTruncationIsRejected()
    {
        byte[] p = Packets.V6WithExtensions(IpProtocol.Udp, new byte[16],
            (IpProtocol.HopByHop, 8), (IpProtocol.Ipv6Routing, 16), (IpProtocol.Ipv6Fragment, 8));
        for (int len = 0; len < p.Length; len++)
        {
            Assert.False(Ipv6Header.TryParse(p.AsSpan(0, len), out _, out DropReason r));
            Assert.Equal(DropReason.Truncated, r);
        }
        Assert.True(Ipv6Header.TryParse(p, out _, out _));
    }

    [Fact]
    public void ReportsFragmentHeader()
    {
        byte[] p = Packets.V6WithExtensions(IpProtocol.Udp, new byte[16],
            (IpProtocol.HopByHop, 8), (IpProtocol.Ipv6Fragment, 8));
        Ipv6Header.WriteFragmentHeader(p.AsSpan(48), IpProtocol.Udp, 1232, moreFragments: true, 0xDEADBEEF);
        Assert.True(Ipv6Header.TryParse(p, out Ipv6Header h, out _));
        Assert.True(h.IsFragment);
        Assert.Equal(48, h.FragmentHeaderOffset);
        Assert.Equal(48, h.UnfragmentableEnd);
        Assert.Equal(56, h.UpperLayerOffset);
        Assert.Equal(IpProtocol.Udp, h.Protocol);
        Assert.Equal(1232, h.FragmentOffset);
        Assert.True(h.MoreFragments);
        Assert.Equal(0xDEADBEEFu, h.FragmentId);
        Assert.Equal(16, h.Payload.Length);
    }

    [Fact]
    public void FragmentHeaderGolden()
    {
        var b = new byte[8];
        Assert.Equal(8, Ipv6Header.WriteFragmentHeader(b, IpProtocol.Tcp, 0xFFF8, true, 0x01020304));
        Assert.Equal("0600FFF901020304", Convert.ToHexString(b));
    }

    [Fact]
    public void NonFirstFragmentStopsAtFragmentHeader()
    {
        // Bytes after a non-first fragment's header are data, even if they look like a hop-by-hop header.
        byte[] p = Packets.V6WithExtensions(IpProtocol.HopByHop, new byte[16], (IpProtocol.Ipv6Fragment, 8));
        Ipv6Header.WriteFragmentHeader(p.AsSpan(40), IpProtocol.HopByHop, 8, moreFragments: false, 9);
        Assert.True(Ipv6Header.TryParse(p, out Ipv6Header h, out _));
        Assert.Equal(IpProtocol.HopByHop, h.Protocol);
        Assert.Equal(48, h.UpperLayerOffset);
    }

    [Fact]
    public void AtomicFragmentIsWalkedThrough()
    {
        byte[] p = Packets.V6WithExtensions(IpProtocol.Udp, new byte[16],
            (IpProtocol.Ipv6Fragment, 8), (IpProtocol.Ipv6DestinationOptions, 8));
        Ipv6Header.WriteFragmentHeader(p.AsSpan(40), IpProtocol.Ipv6DestinationOptions, 0, false, 5);
        Assert.True(Ipv6Header.TryParse(p, out Ipv6Header h, out _));
        Assert.True(h.IsFragment);
        Assert.Equal(0, h.FragmentOffset);
        Assert.False(h.MoreFragments);
        Assert.Equal(IpProtocol.Udp, h.Protocol);
        Assert.Equal(56, h.UpperLayerOffset);
        Assert.Equal(40, h.UnfragmentableEnd);
    }

    [Fact]
    public void TwoFragmentHeadersAreRejected()
    {
        byte[] p = Packets.V6WithExtensions(IpProtocol.Udp, new byte[16],
            (IpProtocol.Ipv6Fragment, 8), (IpProtocol.Ipv6Fragment, 8));
        Ipv6Header.WriteFragmentHeader(p.AsSpan(40), IpProtocol.Ipv6Fragment, 0, false, 5);
        Ipv6Header.WriteFragmentHeader(p.AsSpan(48), IpProtocol.Udp, 0, false, 6);
        Assert.False(Ipv6Header.TryParse(p, out _, out DropReason r));
        Assert.Equal(DropReason.BadFragment, r);
    }

    [Fact]
    public void NoNextHeaderEndsTheWalk()
    {
        byte[] p = Packets.V6WithExtensions(IpProtocol.Ipv6NoNext, [], (IpProtocol.Ipv6DestinationOptions, 8));
        Assert.True(Ipv6Header.TryParse(p, out Ipv6Header h, out _));
        Assert.Equal(IpProtocol.Ipv6NoNext, h.Protocol);
        Assert.Equal(0, h.Payload.Length);
    }

    [Fact]
    public void RandomFieldsRoundTrip() =>
        Gen.Select(Gen.Byte.Array[16], Gen.Byte.Array[16], Gen.Byte, Gen.Byte, Gen.UInt, Gen.Int[0, 2000])
            .Sample((src, dst, proto, hop, flow, len) =>
            {
                IpProtocol next = (IpProtocol)proto;
                if (next is IpProtocol.HopByHop or IpProtocol.Ipv6Routing or IpProtocol.Ipv6DestinationOptions or IpProtocol.Ipv6Fragment)
                {
                    next = IpProtocol.Udp;
                }
                var p = new byte[40 + len];
                IpAddr s = IpAddr.FromV6(src), d = IpAddr.FromV6(dst);
                Ipv6Header.Write(p, s, d, next, len, hop, flow);
                Assert.True(Ipv6Header.TryParse(p, out Ipv6Header h, out DropReason r), r.ToString());
                Assert.Equal(s, h.Source);
                Assert.Equal(d, h.Destination);
                Assert.Equal(next, h.Protocol);
                Assert.Equal(hop, h.HopLimit);
                Assert.Equal(len, h.Payload.Length);
                Assert.Equal(flow & 0xFFFFF, BinaryPrimitives.ReadUInt32BigEndian(p) & 0xFFFFF);
            }, iter: 2000);
}
