namespace Smolmix;

/// <summary>The TCP congestion-control algorithm.</summary>
public enum CongestionControlAlgorithm
{
    /// <summary>CUBIC (RFC 9438). The default.</summary>
    Cubic,

    /// <summary>NewReno (RFC 5681, RFC 6582).</summary>
    NewReno,
}
