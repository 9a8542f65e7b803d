namespace Smolmix.Devnet;

/// <summary>Named mixnet behaviours for the Devnet (see <see cref="MixnetOptions.ForPreset"/>).</summary>
public enum DevnetPreset
{
    /// <summary>No delay, no loss, no rate limit: messages arrive as soon as they are sent.</summary>
    Instant,

    /// <summary>The real client defaults: 20 ms Poisson sending interval, 15 ms mean delay per mix hop, 10–30 ms per link.</summary>
    Nym,

    /// <summary>A bad day: 50 ms mean delay per mix hop, 2 % packet loss, 20–60 ms per link.</summary>
    Harsh,
}
