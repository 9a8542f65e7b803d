using Smolmix.Wire;

namespace Smolmix.Tcp;

/// <summary>A connection's identity: local and remote address and port.</summary>
internal readonly record struct FourTuple(IpAddr LocalAddress, ushort LocalPort, IpAddr RemoteAddress, ushort RemotePort);
