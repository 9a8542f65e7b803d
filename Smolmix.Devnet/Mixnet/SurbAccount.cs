using Smolmix.Nym;

namespace Smolmix.Devnet.Mixnet;

/// <summary>
/// The reply SURBs a replying side holds for one sender tag, and the reply packets waiting for
/// SURBs — the receiver half of client-core's reply controller.
/// </summary>
internal sealed class SurbAccount
{
    public SurbAccount(NymAddress owner) => Owner = owner;

    /// <summary>The address of the client behind the tag (whose SURBs route back to it).</summary>
    public NymAddress Owner { get; set; }

    /// <summary>SURBs in hand.</summary>
    public int Available { get; set; }

    /// <summary>SURBs asked for and not yet received.</summary>
    public int PendingReception { get; set; }

    /// <summary>Reply packets waiting for a SURB, oldest first.</summary>
    public Queue<PendingReplyPacket> Waiting { get; } = new();

    /// <summary>When SURBs last arrived.</summary>
    public TimeSpan LastReceivedAt { get; set; }

    /// <summary>Repeated SURB requests since SURBs last arrived.</summary>
    public int Rerequests { get; set; }

    /// <summary>Whether a stale-queue check is scheduled.</summary>
    public bool CheckScheduled { get; set; }
}

/// <summary>A reply packet waiting for a SURB.</summary>
/// <param name="Message">The reply it belongs to.</param>
/// <param name="Lane">The lane it was sent on.</param>
/// <param name="EnqueuedAt">When it started waiting.</param>
internal sealed record PendingReplyPacket(InFlightMessage Message, ulong Lane, TimeSpan EnqueuedAt)
{
    /// <summary>Whether it could not leave at once.</summary>
    public bool Deferred { get; set; }
}
