using System.Net;

namespace Smolmix;

/// <summary>The outcome of <see cref="UdpSocket.ReceiveFromAsync"/>.</summary>
/// <param name="ReceivedBytes">Bytes copied into the buffer.</param>
/// <param name="RemoteEndPoint">The sender.</param>
/// <param name="LocalEndPoint">The destination the datagram was addressed to (matters for any-address sockets).</param>
/// <param name="Truncated">True when the datagram was longer than the buffer and its tail was discarded (like <c>MSG_TRUNC</c>).</param>
public readonly record struct UdpReceiveFromResult(int ReceivedBytes, IPEndPoint RemoteEndPoint, IPEndPoint LocalEndPoint, bool Truncated = false);
