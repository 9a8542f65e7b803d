namespace Smolmix.Devices;

/// <summary>
/// How one direction of an <see cref="ImpairmentDevice"/> mistreats packets: loss, duplication,
/// corruption, a bandwidth bottleneck with a bounded queue, and a fixed plus random delay.
/// Reordering is not configured separately: independent per-packet delays reorder packets.
/// </summary>
/// <remarks>
/// Each packet goes through, in order: loss; the bottleneck (packets are serialised one after
/// another at <see cref="RateBytesPerSecond"/>, and dropped at the tail when the backlog would
/// exceed <see cref="QueueLimitBytes"/>); then <see cref="BaseDelay"/> plus a sample of
/// <see cref="Jitter"/>. Surviving packets may be duplicated (the copy gets its own delay sample)
/// and corrupted (one byte of the original flipped). Decisions are deterministic for a given
/// <see cref="Seed"/> and sequence of packets.
/// </remarks>
internal sealed class ImpairmentOptions
{
    private readonly double _lossRate;
    private readonly double _duplicateRate;
    private readonly double _corruptRate;
    private readonly TimeSpan _baseDelay;
    private readonly DelayDistribution _jitter = DelayDistribution.None;
    private readonly long _rateBytesPerSecond;
    private readonly long _queueLimitBytes;

    /// <summary>The seed of the random decisions; the same seed gives the same decisions.</summary>
    public int Seed { get; init; }

    /// <summary>The probability, 0 to 1, that a packet is dropped.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside 0..1 or not a number.</exception>
    public double LossRate { get => _lossRate; init => _lossRate = Probability(value, nameof(LossRate)); }

    /// <summary>The probability, 0 to 1, that a surviving packet is delivered twice.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside 0..1 or not a number.</exception>
    public double DuplicateRate { get => _duplicateRate; init => _duplicateRate = Probability(value, nameof(DuplicateRate)); }

    /// <summary>The probability, 0 to 1, that one byte of a surviving packet is flipped.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside 0..1 or not a number.</exception>
    public double CorruptRate { get => _corruptRate; init => _corruptRate = Probability(value, nameof(CorruptRate)); }

    /// <summary>The fixed delay every packet gets (propagation delay).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public TimeSpan BaseDelay
    {
        get => _baseDelay;
        init => _baseDelay = value >= TimeSpan.Zero
            ? value
            : throw new ArgumentOutOfRangeException(nameof(BaseDelay), value, "The base delay cannot be negative.");
    }

    /// <summary>The random extra delay added to <see cref="BaseDelay"/>; <see cref="DelayDistribution.None"/> by default.</summary>
    /// <exception cref="ArgumentNullException">The value is null.</exception>
    public DelayDistribution Jitter { get => _jitter; init => _jitter = value ?? throw new ArgumentNullException(nameof(Jitter)); }

    /// <summary>The bottleneck's rate in bytes per second; 0 (the default) means unlimited.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public long RateBytesPerSecond
    {
        get => _rateBytesPerSecond;
        init => _rateBytesPerSecond = value >= 0
            ? value
            : throw new ArgumentOutOfRangeException(nameof(RateBytesPerSecond), value, "The rate cannot be negative (0 means unlimited).");
    }

    /// <summary>
    /// The most bytes the bottleneck holds waiting to be serialised; a packet that would exceed
    /// it is dropped (drop-tail). 0 (the default) means unlimited. Only meaningful with a
    /// <see cref="RateBytesPerSecond"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public long QueueLimitBytes
    {
        get => _queueLimitBytes;
        init => _queueLimitBytes = value >= 0
            ? value
            : throw new ArgumentOutOfRangeException(nameof(QueueLimitBytes), value, "The queue limit cannot be negative (0 means unlimited).");
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"Seed={Seed}, Loss={LossRate}, Duplicate={DuplicateRate}, Corrupt={CorruptRate}, BaseDelay={BaseDelay}, " +
        $"Jitter={Jitter}, Rate={RateBytesPerSecond} B/s, QueueLimit={QueueLimitBytes} B";

    private static double Probability(double value, string name) =>
        value is >= 0.0 and <= 1.0
            ? value
            : throw new ArgumentOutOfRangeException(name, value, "A rate is a probability between 0 and 1.");
}
