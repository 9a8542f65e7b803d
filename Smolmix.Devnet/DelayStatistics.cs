namespace Smolmix.Devnet;

/// <summary>Summary of a set of delays, in milliseconds.</summary>
/// <param name="Count">Samples.</param>
/// <param name="MeanMs">Mean.</param>
/// <param name="StandardDeviationMs">Sample standard deviation.</param>
/// <param name="MaxMs">Largest sample.</param>
public readonly record struct DelayStatistics(long Count, double MeanMs, double StandardDeviationMs, double MaxMs)
{
    /// <inheritdoc />
    public override string ToString() => $"n={Count} mean={MeanMs:0.0} ms sd={StandardDeviationMs:0.0} ms max={MaxMs:0.0} ms";
}
