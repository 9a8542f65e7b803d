namespace Smolmix.Devnet;

/// <summary>What the Devnet's mixnet model has done so far.</summary>
public sealed record MixnetCounters
{
    /// <summary>Messages handed to the mixnet (forward messages, replies and SURB traffic; duplicates included).</summary>
    public long MessagesSent { get; init; }

    /// <summary>Messages delivered whole to a registered endpoint.</summary>
    public long MessagesDelivered { get; init; }

    /// <summary>Messages lost because one of their packets was lost.</summary>
    public long MessagesLost { get; init; }

    /// <summary>Messages sent twice by <see cref="MixnetOptions.DuplicationRate"/>.</summary>
    public long MessagesDuplicated { get; init; }

    /// <summary>Messages that arrived for an address nobody holds (dropped, as a gateway would).</summary>
    public long MessagesUndeliverable { get; init; }

    /// <summary>Sphinx packets that left their sender.</summary>
    public long PacketsSent { get; init; }

    /// <summary>Sphinx packets that arrived.</summary>
    public long PacketsDelivered { get; init; }

    /// <summary>Sphinx packets lost.</summary>
    public long PacketsLost { get; init; }

    /// <summary>Sphinx packets waiting for a Poisson slot right now.</summary>
    public long PacketsQueued { get; init; }

    /// <summary>Reply SURBs that reached a replying side.</summary>
    public long SurbsReceived { get; init; }

    /// <summary>Reply SURBs used up (one per reply packet, one per SURB request).</summary>
    public long SurbsConsumed { get; init; }

    /// <summary>Requests for more SURBs sent by replying sides.</summary>
    public long SurbRequests { get; init; }

    /// <summary>Reply packets that had to wait for SURBs.</summary>
    public long RepliesDeferred { get; init; }

    /// <summary>Reply packets waiting for SURBs right now.</summary>
    public long RepliesWaiting { get; init; }

    /// <summary>Replies dropped: no SURBs were ever received for the tag, or the SURB requests went unanswered.</summary>
    public long RepliesDropped { get; init; }

    /// <summary>Time packets waited for their sender's Poisson slot.</summary>
    public DelayStatistics QueueingDelay { get; init; }

    /// <summary>Time reply packets waited for SURBs.</summary>
    public DelayStatistics SurbWaitDelay { get; init; }

    /// <summary>The mixing part of each packet's delay (the sum over its mix hops).</summary>
    public DelayStatistics MixDelay { get; init; }

    /// <summary>Each packet's whole one-way delay outside queues (mixing plus link latency).</summary>
    public DelayStatistics PathDelay { get; init; }
}
