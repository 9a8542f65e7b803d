using Smolmix.Nym;

namespace Smolmix.Discovery;

/// <summary>An IP packet router exit the tunnel may use.</summary>
/// <param name="Address">The IPR's Nym address.</param>
/// <param name="NodeVersion">The node's build version from the directory, when known.</param>
/// <param name="Performance">The directory's performance score (0–1), when known.</param>
internal sealed record ExitCandidate(NymAddress Address, Version? NodeVersion = null, double? Performance = null)
{
    /// <summary>The first node version that accepts LP-framed v9.</summary>
    public static readonly Version V9Release = new(1, 30, 0);

    /// <summary>The first node version that speaks v10.</summary>
    public static readonly Version V10Release = new(1, 37, 0);

    /// <summary>
    /// The protocol versions to offer this exit, in order: <paramref name="preferred"/> minus
    /// those the node's version is known not to speak (so an older node is not kept waiting on a
    /// v10 request it silently drops).
    /// </summary>
    public IReadOnlyList<byte> VersionsToOffer(IReadOnlyList<int> preferred)
    {
        var versions = new List<byte>(preferred.Count);
        foreach (int v in preferred)
        {
            bool known = NodeVersion is null
                || v == IprVersion.V8
                || (v == IprVersion.V9 && NodeVersion >= V9Release)
                || (v == IprVersion.V10 && NodeVersion >= V10Release);
            if (known)
            {
                versions.Add((byte)v);
            }
        }

        return versions.Count > 0 ? versions : [.. preferred.Select(v => (byte)v)];
    }

    /// <inheritdoc/>
    public override string ToString() => Address.ToString();
}
