namespace Smolmix.Discovery;

/// <summary>A node as <c>/v2/nym-nodes/described</c> describes it (the fields discovery uses).</summary>
/// <param name="Identity">The node's ed25519 identity key, base58.</param>
/// <param name="BuildVersion">The node's build version string, if given.</param>
/// <param name="IprAddress">Its IP packet router's Nym address, if it runs one.</param>
/// <param name="DeclaresExitIpr">Whether it declares the exit-IPR role, when the directory says.</param>
internal sealed record DescribedNode(string Identity, string? BuildVersion, string? IprAddress, bool? DeclaresExitIpr);

/// <summary>A node as <c>/v2/unstable/nym-nodes/skimmed</c> lists it (the fields discovery uses).</summary>
/// <param name="Identity">The node's ed25519 identity key, base58.</param>
/// <param name="Performance">Its performance score, 0–1.</param>
/// <param name="SupportsExitIpr">Whether it supports the exit-IPR role, when the directory says.</param>
internal sealed record SkimmedNode(string Identity, double Performance, bool? SupportsExitIpr);
