namespace Smolmix.Devnet;

/// <summary>Why the Devnet exit dropped a message or packet without answering (as the real exit does).</summary>
public enum ExitDropReason
{
    /// <summary>An LP stream frame with an invalid message type.</summary>
    InvalidLpFrame,

    /// <summary>A v8+ request whose second byte is not 1 (IpPacketRouter).</summary>
    InvalidServiceProviderType,

    /// <summary>A version other than 8, 9 or 10.</summary>
    UnsupportedVersion,

    /// <summary>A v8+ request sent without a sender tag (not anonymously).</summary>
    MissingSenderTag,

    /// <summary>v9/v10 without LP framing, or v8 with it.</summary>
    FramingViolation,

    /// <summary>The request did not decode (bincode error, trailing bytes, unknown tag).</summary>
    MalformedRequest,

    /// <summary>A bundled packet that is not an IP packet with a transport header.</summary>
    InvalidPacket,

    /// <summary>A packet whose source address belongs to no connected client.</summary>
    UnknownSource,

    /// <summary>A packet the exit policy rejects (the client gets an Info message).</summary>
    ExitPolicy,

    /// <summary>A packet from the egress for an address no client holds.</summary>
    Unroutable,
}
