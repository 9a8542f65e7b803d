using System.Buffers.Binary;
using System.Net;
using CsCheck;
using Smolmix.Wire;

namespace Smolmix.Tests.Wire;

/// <summary>Packets built by PacketDotNet parse with ours, fields matching.</summary>
public class PacketDotNetIngressTests
{
    private static readonly IPAddress A4 = IPAddress.Parse("192.0.2.1");
    private static readonly IPAddress B4 = IPAddress.Parse("198.51.100.7");
    private static readonly IPAddress A6 = IPAddress.Parse("2001:db8::1");
    private static readonly IPAddress B6 = IPAddress.Parse("2001:db8:1::2");

    /// <summary>Parses the IP layer with ours and returns the transport bytes and addresses.</summary>
    private static (byte[] Transport, IpAddr Src, IpAddr Dst, IpProtocol Protocol) ParseIp(byte[] packet)
    {
        if (packet[0] >> 4 == 4)
        {
            Assert.True(Ipv4Header.TryParse(packet, out Ipv4Header h, out DropReason r), r.ToString());
            return (h.Payload.ToArray(), h.Source, h.Destination, h.Protocol);
        }
        Assert.True(Ipv6Header.TryParse(packet, out Ipv6Header h6, out DropReason r6), r6.ToString());
        return (h6.Payload.ToArray(), h6.Source, h6.Destination, h6.Protocol);
    }

    private static byte[] SackAndTimestamps(uint tsVal, uint tsEcr, params (uint L, uint R)[] blocks)
    {
        var o = new List<byte> { 1, 1, 8, 10 };
        var b = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(b, tsVal);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(4), tsEcr);
        o.AddRange(b);
        if (blocks.Length > 0)
        {
            o.AddRange([1, 1, 5, (byte)(2 + 8 * blocks.Length)]);
            foreach ((uint l, uint r) in blocks)
            {
                BinaryPrimitives.WriteUInt32BigEndian(b, l);
                BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(4), r);
                o.AddRange(b);
            }
        }
        return [.. o];
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TcpSynWithOptions(bool v6)
    {
        byte[] opts = Convert.FromHexString("020405B40402080A1122334400000000" + "01030307");
        byte[] pkt = PdnBuild.Tcp(v6 ? A6 : A4, v6 ? B6 : B4, 40000, 443, 0xFFFFFFF0, 0, 0x02, 64240, opts, []);
        (byte[] seg, IpAddr s, IpAddr d, IpProtocol proto) = ParseIp(pkt);
        Assert.Equal(IpProtocol.Tcp, proto);
        Assert.Equal(IpAddr.From(v6 ? A6 : A4), s);
        Assert.True(TcpHeader.TryParse(seg, s, d, out TcpHeader h, out DropReason r), r.ToString());
        Assert.Equal(40000, h.SourcePort);
        Assert.Equal(443, h.DestinationPort);
        Assert.Equal(0xFFFFFFF0u, h.SequenceNumber);
        Assert.Equal(TcpFlags.Syn, h.Flags);
        Assert.Equal(64240, h.Window);
        Assert.True(TcpOptions.TryParse(h.OptionBytes, out TcpOptions o));
        Assert.Equal(1460, o.Mss);
        Assert.True(o.SackPermitted);
        Assert.True(o.HasTimestamps);
        Assert.Equal(0x11223344u, o.TsVal);
        Assert.Equal(7, o.WindowScale);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TcpAckWithSackBlocks(bool v6)
    {
        byte[] opts = SackAndTimestamps(7, 8, (1000, 2000), (3000, 4000), (0xFFFFFF00, 0x100));
        byte[] payload = Packets.RandomBytes(100, 1);
        byte[] pkt = PdnBuild.Tcp(v6 ? A6 : A4, v6 ? B6 : B4, 80, 50000, 1, 999, 0x18, 1000, opts, payload);
        (byte[] seg, IpAddr s, IpAddr d, _) = ParseIp(pkt);
        Assert.True(TcpHeader.TryParse(seg, s, d, out TcpHeader h, out DropReason r), r.ToString());
        Assert.Equal(TcpFlags.Ack | TcpFlags.Psh, h.Flags);
        Assert.Equal(999u, h.AcknowledgmentNumber);
        Assert.True(h.Payload.SequenceEqual(payload));
        Assert.True(TcpOptions.TryParse(h.OptionBytes, out TcpOptions o));
        Assert.Equal(3, o.SackCount);
        Assert.Equal(new SackBlock(1000, 2000), o.GetSack(0));
        Assert.Equal(new SackBlock(3000, 4000), o.GetSack(1));
        Assert.Equal(new SackBlock(0xFFFFFF00, 0x100), o.GetSack(2));
        Assert.Equal(7u, o.TsVal);
        Assert.Equal(8u, o.TsEcr);
    }

    [Fact]
    public void RandomTcpMatches() =>
        Gen.Select(Gen.Bool, Gen.UShort, Gen.UShort, Gen.UInt, Gen.UInt, Gen.Byte, Gen.UShort, Gen.Byte.Array[0, 600])
            .Select(Gen.UInt, Gen.UInt, Gen.Int[0, 3], (t, tv, te, n) => (t, tv, te, n))
            .Sample(x =>
            {
                var (v6, sp, dp, seq, ack, flags, win, payload) = x.t;
                (uint, uint)[] blocks = Enumerable.Range(0, x.n).Select(i => (seq + (uint)i, ack + (uint)i)).ToArray();
                byte[] pkt = PdnBuild.Tcp(v6 ? A6 : A4, v6 ? B6 : B4, sp, dp, seq, ack, flags, win,
                    SackAndTimestamps(x.tv, x.te, blocks), payload);
                (byte[] seg, IpAddr s, IpAddr d, _) = ParseIp(pkt);
                Assert.True(TcpHeader.TryParse(seg, s, d, out TcpHeader h, out DropReason r), r.ToString());
                Assert.Equal(sp, h.SourcePort);
                Assert.Equal(dp, h.DestinationPort);
                Assert.Equal(seq, h.SequenceNumber);
                Assert.Equal(ack, h.AcknowledgmentNumber);
                Assert.Equal((TcpFlags)flags, h.Flags);
                Assert.Equal(win, h.Window);
                Assert.True(h.Payload.SequenceEqual(payload));
                Assert.True(TcpOptions.TryParse(h.OptionBytes, out TcpOptions o));
                Assert.Equal(x.tv, o.TsVal);
                Assert.Equal(x.te, o.TsEcr);
                Assert.Equal(x.n, o.SackCount);
            }, iter: 300);

    [Fact]
    public void RandomUdpMatches() =>
        Gen.Select(Gen.Bool, Gen.UShort, Gen.UShort, Gen.Byte.Array[0, 1400]).Sample((v6, sp, dp, payload) =>
        {
            byte[] pkt = PdnBuild.Udp(v6 ? A6 : A4, v6 ? B6 : B4, sp, dp, payload);
            (byte[] dgram, IpAddr s, IpAddr d, IpProtocol proto) = ParseIp(pkt);
            Assert.Equal(IpProtocol.Udp, proto);
            Assert.True(UdpHeader.TryParse(dgram, s, d, out UdpHeader h, out DropReason r), r.ToString());
            Assert.Equal(sp, h.SourcePort);
            Assert.Equal(dp, h.DestinationPort);
            Assert.True(h.Payload.SequenceEqual(payload));
        }, iter: 300);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void IcmpV4Echo(bool request)
    {
        byte[] data = Packets.RandomBytes(33, 2);
        byte[] pkt = PdnBuild.EchoV4(A4, B4, request, 0x1234, 0xBEEF, data);
        (byte[] msg, IpAddr s, IpAddr d, IpProtocol proto) = ParseIp(pkt);
        Assert.Equal(IpProtocol.Icmp, proto);
        Assert.True(IcmpHeader.TryParse(msg, false, s, d, out IcmpHeader h, out DropReason r), r.ToString());
        Assert.Equal(request ? IcmpHeader.V4EchoRequest : IcmpHeader.V4EchoReply, h.Type);
        Assert.Equal(0x1234, h.Identifier);
        Assert.Equal(0xBEEF, h.SequenceNumber);
        Assert.True(h.Body.SequenceEqual(data));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void IcmpV6Echo(bool request)
    {
        byte[] data = Packets.RandomBytes(57, 3);
        byte[] pkt = PdnBuild.EchoV6(A6, B6, request, 0x4321, 7, data);
        (byte[] msg, IpAddr s, IpAddr d, IpProtocol proto) = ParseIp(pkt);
        Assert.Equal(IpProtocol.Icmpv6, proto);
        Assert.True(IcmpHeader.TryParse(msg, true, s, d, out IcmpHeader h, out DropReason r), r.ToString());
        Assert.Equal(request ? IcmpHeader.V6EchoRequest : IcmpHeader.V6EchoReply, h.Type);
        Assert.Equal(0x4321, h.Identifier);
        Assert.Equal(7, h.SequenceNumber);
        Assert.True(h.Body.SequenceEqual(data));
    }

    [Fact]
    public void Ipv4HeaderFieldsMatch()
    {
        byte[] pkt = PdnBuild.Udp(A4, B4, 1, 2, [1, 2, 3]);
        var pdn = new PacketDotNet.IPv4Packet(new PacketDotNet.Utils.ByteArraySegment(pkt));
        Assert.True(Ipv4Header.TryParse(pkt, out Ipv4Header h, out _));
        Assert.Equal(pdn.TotalLength, h.TotalLength);
        Assert.Equal(pdn.HeaderLength * 4, h.HeaderLength);
        Assert.Equal(pdn.Id, h.Identification);
        Assert.Equal(pdn.TimeToLive, h.Ttl);
        Assert.Equal((int)pdn.Protocol, (int)h.Protocol);
        Assert.Equal(pdn.FragmentOffset * 8, h.FragmentOffset);
    }
}
