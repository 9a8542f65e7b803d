namespace Smolmix.Devnet;

/// <summary>What the Devnet's IP packet router exit has done so far.</summary>
public sealed record ExitCounters
{
    /// <summary>Mixnet messages received.</summary>
    public long MessagesReceived { get; init; }

    /// <summary>LP Open frames (empty payloads), which are only logged.</summary>
    public long OpenFrames { get; init; }

    /// <summary>Connect requests answered with a new allocation.</summary>
    public long Allocations { get; init; }

    /// <summary>Clients connected now.</summary>
    public int ActiveClients { get; init; }

    /// <summary>Clients dropped for inactivity.</summary>
    public long InactivityDisconnects { get; init; }

    /// <summary>Client packets written to the egress.</summary>
    public long PacketsToEgress { get; init; }

    /// <summary>Packets read from the egress and routed to a client.</summary>
    public long PacketsFromEgress { get; init; }

    /// <summary>Data responses (bundles) sent to clients.</summary>
    public long DataResponses { get; init; }

    /// <summary>Inline control replies sent (connect, disconnect, pong, health, info).</summary>
    public long ControlReplies { get; init; }

    /// <summary>Drops by reason.</summary>
    public IReadOnlyDictionary<ExitDropReason, long> Drops { get; init; } = new Dictionary<ExitDropReason, long>();

    /// <summary>Drops for one reason.</summary>
    public long DropsFor(ExitDropReason reason) => Drops.GetValueOrDefault(reason);
}
