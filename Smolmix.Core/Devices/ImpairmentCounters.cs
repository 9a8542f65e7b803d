namespace Smolmix.Devices;

/// <summary>What an impairment has done to the packets of one direction so far.</summary>
internal readonly struct ImpairmentCounters
{
    /// <summary>Packets offered to the impairment.</summary>
    public long PacketsSeen { get; init; }

    /// <summary>Packets dropped by <see cref="ImpairmentOptions.LossRate"/>.</summary>
    public long DroppedByLoss { get; init; }

    /// <summary>Packets dropped because the bottleneck queue was full (<see cref="ImpairmentOptions.QueueLimitBytes"/>).</summary>
    public long DroppedByQueue { get; init; }

    /// <summary>Packets (or duplicates) dropped because the device already held its maximum number of packets.</summary>
    public long DroppedByCapacity { get; init; }

    /// <summary>Packets delivered twice.</summary>
    public long Duplicated { get; init; }

    /// <summary>Packets with one byte flipped.</summary>
    public long Corrupted { get; init; }

    /// <inheritdoc />
    public override string ToString() =>
        $"seen={PacketsSeen} lost={DroppedByLoss} queue-dropped={DroppedByQueue} cap-dropped={DroppedByCapacity} duplicated={Duplicated} corrupted={Corrupted}";
}
