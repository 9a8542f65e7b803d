namespace Smolmix;

/// <summary>
/// How the tunnel re-establishes a lost session. Each round tries every known exit once, starting
/// with the one after the exit that failed; between rounds the tunnel waits, doubling from
/// <see cref="InitialDelay"/> up to <see cref="MaxDelay"/> (up to <see cref="NymClientRetryDelay"/>
/// while nym-client itself cannot be reached). The waits start over only when a session is established.
/// </summary>
public sealed class ReconnectPolicy
{
    /// <summary>Whether a lost session is re-established at all (default true). When false the tunnel fails.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The wait after the first round in which no exit could be reached (default 1 s).</summary>
    public TimeSpan InitialDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between rounds (default 60 s).</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The longest wait between attempts while nothing accepts connections at the nym-client URI
    /// (default 2 s): a local connect attempt is cheap, so the tunnel is back within seconds of
    /// nym-client's return however long it was gone, instead of following the exit backoff.
    /// </summary>
    public TimeSpan NymClientRetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Rounds after which the tunnel gives up and enters <see cref="TunnelState.Failed"/>; null (default) never gives up.</summary>
    public int? MaxRounds { get; set; }

    /// <summary>The wait after failed round <paramref name="round"/> (0-based).</summary>
    public TimeSpan DelayAfter(int round)
    {
        double factor = Math.Pow(2, Math.Min(round, 30));
        return TimeSpan.FromTicks((long)Math.Min(InitialDelay.Ticks * factor, MaxDelay.Ticks));
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for values out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(InitialDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDelay, InitialDelay);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRounds ?? 1, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(NymClientRetryDelay, TimeSpan.Zero);
    }

    /// <summary>A copy.</summary>
    public ReconnectPolicy Clone() => (ReconnectPolicy)MemberwiseClone();
}
