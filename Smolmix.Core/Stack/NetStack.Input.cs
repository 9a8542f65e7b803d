using Smolmix.Stack;
using Smolmix.Tcp;
using Smolmix.Wire;

namespace Smolmix;

public sealed partial class NetStack
{
    private void InputLocked(ReadOnlySpan<byte> packet)
    {
        Metrics.PacketIn(packet.Length);
        if (packet.IsEmpty)
        {
            Metrics.Drop(DropReason.Truncated);
            return;
        }
        int version = packet[0] >> 4;
        if (version == 4)
        {
            if (!Ipv4Header.TryParse(packet, out var ip, out var reason))
            {
                Metrics.Drop(reason);
                return;
            }
            IpAddr src = ip.Source, dst = ip.Destination;
            if (!Admit(src, dst, ip.Protocol))
            {
                return;
            }
            if (ip.IsFragment)
            {
                if (TryReassemble(packet[..ip.TotalLength], out byte[]? whole, out int len) && whole is not null)
                {
                    InputLocked(whole.AsSpan(0, len));
                }
                return;
            }
            Deliver(ip.Protocol, src, dst, ip.Payload, packet[..ip.TotalLength]);
        }
        else if (version == 6)
        {
            if (!Ipv6Header.TryParse(packet, out var ip, out var reason))
            {
                Metrics.Drop(reason);
                return;
            }
            IpAddr src = ip.Source, dst = ip.Destination;
            if (!Admit(src, dst, ip.Protocol))
            {
                return;
            }
            if (ip.IsFragment)
            {
                if (TryReassemble(ip.Packet, out byte[]? whole, out int len) && whole is not null)
                {
                    InputLocked(whole.AsSpan(0, len));
                }
                return;
            }
            Deliver(ip.Protocol, src, dst, ip.Payload, ip.Packet);
        }
        else
        {
            Metrics.Drop(DropReason.BadVersion);
        }
    }

    /// <summary>Address checks shared by both families; a rejected packet is counted.</summary>
    private bool Admit(in IpAddr src, in IpAddr dst, IpProtocol protocol)
    {
        if (!AcceptDestination(dst, protocol))
        {
            Metrics.Drop(DropReason.NotForUs);
            return false;
        }
        if (src.IsMulticastOrBroadcast || src.IsUnspecified)
        {
            Metrics.Drop(DropReason.BadSource);
            return false;
        }
        return true;
    }

    private bool AcceptDestination(in IpAddr dst, IpProtocol protocol)
    {
        if (IsLocal(dst))
        {
            return true;
        }
        // Any-address listeners/sockets (tun2socks style, used by the Devnet exit) take everything unicast.
        if (dst.IsMulticastOrBroadcast || dst.IsUnspecified)
        {
            return false;
        }
        return protocol switch
        {
            IpProtocol.Tcp => _anyAddressListener is not null,
            IpProtocol.Udp => _anyAddressUdp is not null,
            IpProtocol.Icmp or IpProtocol.Icmpv6 => _anyAddressListener is not null || _anyAddressUdp is not null,
            _ => false,
        };
    }

    private void Deliver(IpProtocol protocol, in IpAddr src, in IpAddr dst, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> wholePacket)
    {
        switch (protocol)
        {
            case IpProtocol.Tcp:
                InputTcp(src, dst, payload);
                break;
            case IpProtocol.Udp:
                InputUdp(src, dst, payload, wholePacket);
                break;
            case IpProtocol.Icmp when !src.IsV6:
                InputIcmp(false, src, dst, payload);
                break;
            case IpProtocol.Icmpv6 when src.IsV6:
                InputIcmp(true, src, dst, payload);
                break;
            default:
                Metrics.Drop(DropReason.UnsupportedProtocol);
                SendIcmpUnreachable(src, dst, wholePacket, protocolUnreachable: true);
                break;
        }
    }

    /// <summary>Writes an IP header for a payload already placed after it in <see cref="_tx"/>; returns header length.</summary>
    private static int IpHeaderLength(in IpAddr remote) => remote.IsV6 ? Ipv6Header.FixedLength : Ipv4Header.MinLength;

    private void WriteIpHeader(Span<byte> buf, in IpAddr src, in IpAddr dst, IpProtocol protocol, int payloadLength, bool dontFragment = true)
    {
        if (dst.IsV6)
        {
            Ipv6Header.Write(buf, src, dst, protocol, payloadLength);
        }
        else
        {
            Ipv4Header.Write(buf, src, dst, protocol, payloadLength, NextIpId(), dontFragment: dontFragment);
        }
    }
}
