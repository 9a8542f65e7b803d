namespace Smolmix.Devices;

/// <summary>Why an impairment dropped a packet.</summary>
internal enum ImpairmentDropReason
{
    /// <summary>Not dropped.</summary>
    None,

    /// <summary>Random loss.</summary>
    Loss,

    /// <summary>The bottleneck queue was full.</summary>
    Queue,
}
