namespace Smolmix.Wire;

/// <summary>
/// Identifies one datagram under reassembly: (source, destination, protocol, id) for IPv4 (RFC 791),
/// (source, destination, id) for IPv6 (RFC 8200 §4.5, where <see cref="Protocol"/> is always 0).
/// </summary>
/// <param name="Source">Source address.</param>
/// <param name="Destination">Destination address.</param>
/// <param name="Protocol">IPv4 protocol number; 0 for IPv6.</param>
/// <param name="Id">Identification (16 bits for IPv4, 32 bits for IPv6).</param>
internal readonly record struct FragmentKey(IpAddr Source, IpAddr Destination, byte Protocol, uint Id);
