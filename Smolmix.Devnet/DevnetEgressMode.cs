namespace Smolmix.Devnet;

/// <summary>Where the Devnet exit sends the IP packets its clients tunnel.</summary>
public enum DevnetEgressMode
{
    /// <summary>
    /// A userspace NAT (no privileges): packets enter a userspace TCP/IP stack that accepts every
    /// destination and relays each TCP connection and UDP flow through a host socket.
    /// </summary>
    UserspaceNat,

    /// <summary>
    /// The Linux kernel, as the real exit: packets are written to a TUN device inside a network
    /// namespace the Devnet creates; services reachable through it live in that namespace. Needs root.
    /// </summary>
    Kernel,
}
