using Smolmix.Nym;

namespace Smolmix.Devnet.Exit;

/// <summary>Settings of an <see cref="IprExit"/>.</summary>
internal sealed record IprExitOptions
{
    /// <summary>The MTU reported in v10 connect replies.</summary>
    public ushort Mtu { get; init; } = 1420;

    /// <summary>Which destinations are forwarded.</summary>
    public ExitPolicy ExitPolicy { get; init; } = ExitPolicy.AcceptAll;

    /// <summary>Clients without data packets for this long are dropped.</summary>
    public TimeSpan InactivityTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How often inactivity is checked.</summary>
    public TimeSpan InactivityCheckInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The return bundling interval when the client's connect gives none.</summary>
    public TimeSpan DefaultBufferTimeout { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>What a health request reports.</summary>
    public IprBuildInfo BuildInfo { get; init; } = new(
        "nym-node", "2026-07-01T00:00:00Z", "1.37.0", "0000000000000000000000000000000000000000", "2026-07-01T00:00:00Z",
        "smolmix-devnet", "1.88.0", "stable", "release", "x86_64-unknown-linux-gnu");
}
