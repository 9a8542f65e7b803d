namespace Smolmix.Wire;

/// <summary>IP protocol / IPv6 next-header numbers the stack knows.</summary>
internal enum IpProtocol : byte
{
    HopByHop = 0,
    Icmp = 1,
    Tcp = 6,
    Udp = 17,
    Ipv6Routing = 43,
    Ipv6Fragment = 44,
    Icmpv6 = 58,
    Ipv6NoNext = 59,
    Ipv6DestinationOptions = 60,
}
