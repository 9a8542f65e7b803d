namespace Smolmix.Devnet.Mixnet;

/// <summary>
/// One lane of a client's sending queue (nym-client's transmission buffer keeps one per connection
/// id, plus the general lane): packets waiting for a slot of the Poisson process, oldest first.
/// </summary>
internal sealed class SendingLane
{
    /// <summary>Packets waiting, oldest first.</summary>
    public Queue<QueuedPacket> Packets { get; } = new();

    /// <summary>Packets this lane has sent since it last became non-empty (nym-client's "oldest" measure).</summary>
    public long Transmitted { get; set; }
}

/// <summary>A packet waiting for a sending slot.</summary>
/// <param name="Message">The message it belongs to.</param>
/// <param name="Lane">Its lane.</param>
/// <param name="EnqueuedAt">When it was queued.</param>
internal readonly record struct QueuedPacket(InFlightMessage Message, ulong Lane, TimeSpan EnqueuedAt);
