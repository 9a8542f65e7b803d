namespace Smolmix.Wire;

/// <summary>Why an inbound packet was dropped. Every drop is counted under one of these.</summary>
public enum DropReason
{
    /// <summary>Not dropped.</summary>
    None = 0,
    /// <summary>Shorter than its headers claim.</summary>
    Truncated,
    /// <summary>IP version is neither 4 nor 6.</summary>
    BadVersion,
    /// <summary>Header length field out of range.</summary>
    BadHeaderLength,
    /// <summary>Total/payload length field inconsistent with the packet.</summary>
    BadLength,
    /// <summary>A checksum did not verify.</summary>
    BadChecksum,
    /// <summary>Malformed option or extension header.</summary>
    BadOption,
    /// <summary>Transport protocol the stack does not handle.</summary>
    UnsupportedProtocol,
    /// <summary>Destination is not one of the interface's addresses.</summary>
    NotForUs,
    /// <summary>Invalid source address (multicast, broadcast, unspecified, or our own).</summary>
    BadSource,
    /// <summary>Fragment rejected (overlap, out of bounds, too many, timed out).</summary>
    BadFragment,
    /// <summary>Reassembly memory bound reached.</summary>
    ReassemblyFull,
    /// <summary>No socket for the datagram or segment.</summary>
    NoSocket,
    /// <summary>A socket's receive queue was full.</summary>
    QueueFull,
    /// <summary>Segment not acceptable in the connection's state (RFC 9293 checks).</summary>
    TcpUnacceptable,
    /// <summary>Malformed ICMP message.</summary>
    BadIcmp,
    /// <summary>Outbound queue toward the device was full.</summary>
    DeviceQueueFull,
}
