namespace Smolmix.Devnet.Mixnet;

/// <summary>Count, mean, variance (Welford) and maximum of a stream of durations.</summary>
internal sealed class RunningStatistics
{
    private double _meanMs;
    private double _m2;

    /// <summary>Samples seen.</summary>
    public long Count { get; private set; }

    /// <summary>The largest sample, in milliseconds.</summary>
    public double MaxMs { get; private set; }

    /// <summary>Adds a sample.</summary>
    public void Add(TimeSpan value)
    {
        double x = value.TotalMilliseconds;
        Count++;
        double delta = x - _meanMs;
        _meanMs += delta / Count;
        _m2 += delta * (x - _meanMs);
        MaxMs = Math.Max(MaxMs, x);
    }

    /// <summary>A snapshot.</summary>
    public DelayStatistics Snapshot() => new(Count, _meanMs, Count > 1 ? Math.Sqrt(_m2 / (Count - 1)) : 0, MaxMs);
}
