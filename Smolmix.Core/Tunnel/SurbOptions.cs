namespace Smolmix;

/// <summary>
/// How many reply SURBs the tunnel attaches to the messages it sends. Every Sphinx packet the
/// exit sends back consumes one SURB; the tunnel estimates the exit's stock (SURBs sent minus
/// reply packets received) and keeps it between <see cref="LowWatermark"/> and
/// <see cref="HighWatermark"/>, aiming at <see cref="LowWatermark"/> plus the reply packets expected
/// within <see cref="RefillHorizon"/> at the current downlink rate. SURBs that fit in the padding of a
/// Sphinx packet a message needs anyway are free; more are only added when the stock runs low.
/// </summary>
public sealed class SurbOptions
{
    /// <summary>SURBs attached to the connect request: the exit's starting stock (default 20).</summary>
    public int InitialSurbs { get; set; } = 20;

    /// <summary>SURBs attached to other control requests: open frame, ping, disconnect (default 2).</summary>
    public int ControlSurbs { get; set; } = 2;

    /// <summary>The stock kept when the downlink is idle (default 10, the exit's own refill threshold).</summary>
    public int LowWatermark { get; set; } = 10;

    /// <summary>The most SURBs the exit is expected to hold (default 150; Nym clients store at most 200).</summary>
    public int HighWatermark { get; set; } = 150;

    /// <summary>The most SURBs attached to one message (default 40).</summary>
    public int MaxPerMessage { get; set; } = 40;

    /// <summary>How far ahead the stock should cover the downlink at its current rate (default 2 s, about one mixnet round trip).</summary>
    public TimeSpan RefillHorizon { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for values out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(InitialSurbs);
        ArgumentOutOfRangeException.ThrowIfNegative(ControlSurbs);
        ArgumentOutOfRangeException.ThrowIfNegative(LowWatermark);
        ArgumentOutOfRangeException.ThrowIfLessThan(HighWatermark, LowWatermark);
        ArgumentOutOfRangeException.ThrowIfNegative(MaxPerMessage);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxPerMessage, 500);
        ArgumentOutOfRangeException.ThrowIfLessThan(RefillHorizon, TimeSpan.Zero);
    }

    /// <summary>A copy.</summary>
    public SurbOptions Clone() => (SurbOptions)MemberwiseClone();
}
