namespace Smolmix;

/// <summary>
/// How exits are found when <see cref="TunnelOptions.Exits"/> is empty: the nym-api directory at
/// <see cref="TunnelOptions.NymApi"/> lists nodes; those that run an IP packet router, are recent
/// enough and (where the directory says) support the exit-IPR role are ordered by a random draw
/// weighted by their performance score.
/// </summary>
public sealed class ExitDiscoveryOptions
{
    /// <summary>The oldest node version accepted (default 1.30.0, the first with LP stream framing).</summary>
    public Version MinimumNodeVersion { get; set; } = new(1, 30, 0);

    /// <summary>Nodes with a performance below this (0–1) are skipped (default 0.5, as Nym clients do).</summary>
    public double MinimumPerformance { get; set; } = 0.5;

    /// <summary>How many exits to keep for failover (default 8).</summary>
    public int MaxExits { get; set; } = 8;

    /// <summary>Bound on the whole directory query (default 30 s).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The most directory pages followed per list (default 50).</summary>
    public int MaxPages { get; set; } = 50;

    /// <summary>Seed for the weighted draw; null (default) uses a cryptographic random.</summary>
    public int? RandomSeed { get; set; }

    /// <summary>
    /// The HTTP handler used for the directory (tests, custom transports); null (default) uses a
    /// handler that goes through <see cref="TunnelOptions.Proxy"/> if set and otherwise connects
    /// directly, ignoring proxy environment variables. A handler given here is used as it is: its
    /// own proxy settings apply.
    /// </summary>
    public HttpMessageHandler? HttpHandler { get; set; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for values out of range.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(MinimumNodeVersion);
        ArgumentOutOfRangeException.ThrowIfNegative(MinimumPerformance);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MinimumPerformance, 1.0);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxExits, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Timeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPages, 1);
    }

    /// <summary>A copy (the handler is shared).</summary>
    public ExitDiscoveryOptions Clone() => (ExitDiscoveryOptions)MemberwiseClone();
}
