namespace Smolmix;

/// <summary>
/// How outgoing IP packets are packed into mixnet messages. The tunnel fills a message with
/// queued packets up to <see cref="MaxSphinxPacketsPerMessage"/> Sphinx payloads (about 1.6 KB
/// each), waiting at most <see cref="FlushDelay"/> for more packets once the first is queued.
/// </summary>
public sealed class BundlingOptions
{
    /// <summary>
    /// Sphinx payloads one message of bulk data may fill with IP packets (default 16; 1 to 32). A 1,420-byte
    /// IP packet alone uses 88 % of a 1,610-byte Sphinx payload; a long message packs packets across payload
    /// boundaries, and the exit acknowledges a message with one reply, so an upload also needs fewer reply
    /// SURBs. On the Devnet's nym preset a 4 MiB upload reached 0.95–0.98 of the sending-rate limit with 16
    /// payloads against 0.71–0.73 with 1, and a 1 KiB request behind a bulk upload took 1.16× its quiet round
    /// trip at p50 instead of 1.55×. Messages that start with a request of a sparse flow or with a bare
    /// acknowledgement stay one payload long whatever this says (a message arrives when its last fragment does).
    /// </summary>
    public int MaxSphinxPacketsPerMessage { get; set; } = 16;

    /// <summary>How long a started message waits for more packets (default 5 ms; zero sends what is queued at once).</summary>
    public TimeSpan FlushDelay { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>IP packets queued toward the mixnet before the stack's writes wait (default 256).</summary>
    public int QueueCapacity { get; set; } = 256;

    /// <summary>
    /// Messages waiting in nym-client's queue for the tunnel's lane above which the tunnel stops
    /// sending until the queue drains to half (default 6, about 120 ms at nym-client's default
    /// sending rate; 0 disables the check). nym-client's queue is first in, first out; the tunnel's own
    /// queue in front of it is fair per flow, so a short lane is what lets a request overtake a bulk
    /// transfer's backlog.
    /// </summary>
    public int NymClientQueueLimit { get; set; } = 6;

    /// <summary>How often nym-client's queue length is polled while over the limit (default 20 ms).</summary>
    public TimeSpan NymClientQueuePollInterval { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for values out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSphinxPacketsPerMessage, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxSphinxPacketsPerMessage, 32);
        ArgumentOutOfRangeException.ThrowIfLessThan(FlushDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(FlushDelay, TimeSpan.FromSeconds(1));
        ArgumentOutOfRangeException.ThrowIfLessThan(QueueCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(NymClientQueueLimit);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(NymClientQueuePollInterval, TimeSpan.Zero);
    }

    /// <summary>A copy.</summary>
    public BundlingOptions Clone() => (BundlingOptions)MemberwiseClone();
}
