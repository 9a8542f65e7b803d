using Smolmix.Wire;

namespace Smolmix.Tests.Wire;

public class WireEnumTests
{
    [Fact]
    public void ProtocolNumbersAreIana()
    {
        Assert.Equal(0, (int)IpProtocol.HopByHop);
        Assert.Equal(1, (int)IpProtocol.Icmp);
        Assert.Equal(6, (int)IpProtocol.Tcp);
        Assert.Equal(17, (int)IpProtocol.Udp);
        Assert.Equal(43, (int)IpProtocol.Ipv6Routing);
        Assert.Equal(44, (int)IpProtocol.Ipv6Fragment);
        Assert.Equal(58, (int)IpProtocol.Icmpv6);
        Assert.Equal(59, (int)IpProtocol.Ipv6NoNext);
        Assert.Equal(60, (int)IpProtocol.Ipv6DestinationOptions);
        Assert.Equal((int)PacketDotNet.ProtocolType.Tcp, (int)IpProtocol.Tcp);
        Assert.Equal((int)PacketDotNet.ProtocolType.IPv6FragmentHeader, (int)IpProtocol.Ipv6Fragment);
    }

    [Fact]
    public void TcpFlagBitsMatchTheHeader()
    {
        // RFC 9293 §3.1 byte 13: CWR ECE URG ACK PSH RST SYN FIN, most significant first.
        Assert.Equal(0xFF, (int)(TcpFlags.Cwr | TcpFlags.Ece | TcpFlags.Urg | TcpFlags.Ack | TcpFlags.Psh | TcpFlags.Rst | TcpFlags.Syn | TcpFlags.Fin));
        Assert.Equal(0x12, (int)(TcpFlags.Syn | TcpFlags.Ack));
        Assert.Equal(0x80, (int)TcpFlags.Cwr);
        Assert.Equal(0x01, (int)TcpFlags.Fin);
    }

    [Fact]
    public void DropReasonNoneIsDefault()
    {
        Assert.Equal(DropReason.None, default(DropReason));
        Assert.Equal(Enum.GetValues<DropReason>().Length, Enum.GetValues<DropReason>().Distinct().Count());
    }

    [Fact]
    public void SackBlockIsAValue()
    {
        Assert.Equal(new SackBlock(1, 2), new SackBlock(1, 2));
        Assert.NotEqual(new SackBlock(1, 2), new SackBlock(1, 3));
        Assert.Equal(5u, new SackBlock(5, 9).Left);
        Assert.Equal(9u, new SackBlock(5, 9).Right);
    }
}
