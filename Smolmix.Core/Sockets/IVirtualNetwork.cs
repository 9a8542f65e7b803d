using System.Net;

namespace Smolmix;

/// <summary>
/// A network that hands out TCP connections and UDP sockets: the seam the upper layers
/// (Smolmix.Dns, Smolmix.Http) build on. A <see cref="Tunnel"/> is one (its traffic goes through the
/// mixnet); a bare <see cref="NetStack"/> is another (useful for tests over an in-memory link).
/// </summary>
public interface IVirtualNetwork
{
    /// <summary>The local IPv4 address on this network (it may change when a tunnel reconnects).</summary>
    IPAddress IPv4Address { get; }

    /// <summary>The local IPv6 address on this network, or null when the network has none.</summary>
    IPAddress? IPv6Address { get; }

    /// <summary>Opens a TCP connection to <paramref name="remote"/>.</summary>
    /// <param name="remote">The destination.</param>
    /// <param name="cancellationToken">Cancels the attempt.</param>
    /// <returns>The connected stream.</returns>
    /// <exception cref="System.Net.Sockets.SocketException">Refused, unreachable or timed out.</exception>
    Task<TcpStream> ConnectTcpAsync(IPEndPoint remote, CancellationToken cancellationToken = default);

    /// <summary>
    /// Binds a UDP socket on <paramref name="port"/> (0 picks an ephemeral port), waiting until the
    /// network can carry traffic.
    /// </summary>
    /// <param name="port">The local port, or 0.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The bound socket.</returns>
    /// <exception cref="System.Net.Sockets.SocketException">The port is in use (<see cref="System.Net.Sockets.SocketError.AddressAlreadyInUse"/>) or the network did not become ready in time (<see cref="System.Net.Sockets.SocketError.TimedOut"/>).</exception>
    ValueTask<UdpSocket> BindUdpAsync(int port = 0, CancellationToken cancellationToken = default);
}
