namespace Smolmix.Dns.Wire;

/// <summary>The EDNS(0) OPT pseudo-record (RFC 6891).</summary>
/// <param name="UdpPayloadSize">The largest UDP payload the sender can receive.</param>
/// <param name="ExtendedRcode">The upper 8 bits of the 12-bit response code.</param>
/// <param name="Version">The EDNS version (0).</param>
/// <param name="DnssecOk">The DO bit.</param>
internal readonly record struct DnsEdns(ushort UdpPayloadSize, byte ExtendedRcode = 0, byte Version = 0, bool DnssecOk = false)
{
    /// <summary>The payload size this library advertises: the DNS flag day 2020 value, which fits unfragmented in any tunnel MTU we use.</summary>
    public const ushort DefaultPayloadSize = 1232;
}
