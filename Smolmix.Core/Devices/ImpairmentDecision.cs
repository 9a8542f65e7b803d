namespace Smolmix.Devices;

/// <summary>What <see cref="ImpairmentModel.Decide"/> does to one packet.</summary>
internal readonly struct ImpairmentDecision
{
    /// <summary>Why the packet was dropped, or <see cref="ImpairmentDropReason.None"/>.</summary>
    public ImpairmentDropReason DropReason { get; init; }

    /// <summary>Whether the packet is dropped; if so, the other fields are meaningless.</summary>
    public bool Dropped => DropReason != ImpairmentDropReason.None;

    /// <summary>When the packet arrives at the far end, on the caller's clock.</summary>
    public TimeSpan DeliverAt { get; init; }

    /// <summary>When the bottleneck finishes serialising the packet (its departure), on the caller's clock.</summary>
    public TimeSpan DepartAt { get; init; }

    /// <summary>Whether a second copy is delivered too.</summary>
    public bool Duplicated { get; init; }

    /// <summary>When the copy arrives, if <see cref="Duplicated"/>.</summary>
    public TimeSpan DuplicateDeliverAt { get; init; }

    /// <summary>The index of the byte to flip in the original, or -1 for none.</summary>
    public int CorruptByteIndex { get; init; }
}
