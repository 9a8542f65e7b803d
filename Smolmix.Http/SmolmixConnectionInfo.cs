using System.Net;

namespace Smolmix.Http;

/// <summary>A new connection of a <see cref="SmolmixHandler"/>, with how long each step took.</summary>
/// <param name="Host">The host asked for.</param>
/// <param name="RemoteEndPoint">The address and port connected to.</param>
/// <param name="NameResolution">Time to resolve the host (zero for an address or a cached name).</param>
/// <param name="TcpConnect">Time to open the TCP connection (through the tunnel).</param>
/// <param name="TlsHandshake">Time for the TLS handshake (zero for plain http).</param>
/// <param name="HttpVersion">The HTTP version the connection speaks.</param>
/// <param name="AddressesTried">Connection attempts made (more than one when the first address did not answer in time).</param>
public sealed record SmolmixConnectionInfo(
    string Host,
    IPEndPoint RemoteEndPoint,
    TimeSpan NameResolution,
    TimeSpan TcpConnect,
    TimeSpan TlsHandshake,
    Version HttpVersion,
    int AddressesTried);
