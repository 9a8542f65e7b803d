using System.Net;

namespace Smolmix.Devnet.Egress;

/// <summary>A client endpoint and the destination it talks to: one TCP connection or UDP flow.</summary>
/// <param name="Client">The client's address and port (an address the exit allocated).</param>
/// <param name="Destination">The destination the client used.</param>
internal readonly record struct FlowKey(IPEndPoint Client, IPEndPoint Destination);
