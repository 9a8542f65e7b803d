using System.Net;

namespace Smolmix;

/// <summary>The outcome of <see cref="UdpSocket.ReceiveFromAsync"/>.</summary>
/// <param name="ReceivedBytes">Bytes copied into the buffer (the datagram is truncated if the buffer is smaller).</param>
/// <param name="RemoteEndPoint">The sender.</param>
/// <param name="LocalEndPoint">The destination the datagram was addressed to (matters for any-address sockets).</param>
public readonly record struct UdpReceiveResult(int ReceivedBytes, IPEndPoint RemoteEndPoint, IPEndPoint LocalEndPoint);
