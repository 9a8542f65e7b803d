using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Smolmix.Nym;

namespace Smolmix.Discovery;

/// <summary>
/// Chooses exits from the directory as the Nym SDK does: a skimmed node is kept when it supports
/// the exit-IPR role (where the directory says), its described entry (matched by identity key)
/// runs a recent enough build and names a valid IPR address, and its performance clears the floor.
/// The kept nodes are ordered by a random draw weighted by the performance score (0–100, truncated):
/// sorting by the Efraimidis–Spirakis key u^(1/score) makes the first exit a performance-weighted
/// pick and the rest a failover order drawn the same way.
/// </summary>
internal static class ExitDirectory
{
    /// <summary>Queries the directory and returns the exits in the order to try.</summary>
    public static async Task<IReadOnlyList<ExitCandidate>> DiscoverAsync(Uri nymApi, ExitDiscoveryOptions options, TimeProvider time, ILogger logger, CancellationToken cancellationToken, System.Net.IWebProxy? proxy = null)
    {
        using var timeout = new CancellationTokenSource(options.Timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        using var client = new NymApiClient(nymApi, options.HttpHandler, options.MaxPages, logger, proxy);
        try
        {
            Task<IReadOnlyList<DescribedNode>> described = client.GetDescribedAsync(linked.Token);
            Task<IReadOnlyList<SkimmedNode>> skimmed = client.GetSkimmedAsync(linked.Token);
            await Task.WhenAll(described, skimmed).ConfigureAwait(false);
            Func<double> random = options.RandomSeed is int seed ? new Random(seed).NextDouble : CryptoUniform;
            IReadOnlyList<ExitCandidate> exits = Select(await described.ConfigureAwait(false), await skimmed.ConfigureAwait(false), options, random);
            DiscoveryLog.Discovered(logger, exits.Count);
            return exits;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The directory did not answer within {options.Timeout}.");
        }
    }

    /// <summary>Filters and orders the nodes (see the type's remarks).</summary>
    public static IReadOnlyList<ExitCandidate> Select(IReadOnlyList<DescribedNode> described, IReadOnlyList<SkimmedNode> skimmed, ExitDiscoveryOptions options, Func<double> random)
    {
        var byIdentity = new Dictionary<string, DescribedNode>(StringComparer.Ordinal);
        foreach (DescribedNode node in described)
        {
            byIdentity.TryAdd(node.Identity, node);
        }

        var keyed = new List<(double Key, ExitCandidate Exit)>();
        var seen = new HashSet<NymAddress>();
        foreach (SkimmedNode node in skimmed)
        {
            if (!byIdentity.TryGetValue(node.Identity, out DescribedNode? description)
                || (node.SupportsExitIpr ?? description.DeclaresExitIpr) == false
                || !TryParseVersion(description.BuildVersion, out Version? version, out bool prerelease)
                || version < options.MinimumNodeVersion
                || (version == options.MinimumNodeVersion && prerelease)
                || !NymAddress.TryParse(description.IprAddress, out NymAddress? address)
                || node.Performance < options.MinimumPerformance
                || !seen.Add(address))
            {
                continue;
            }

            int score = (int)Math.Floor(node.Performance * 100);
            if (score <= 0)
            {
                continue;
            }

            double u = Math.Max(random(), double.Epsilon);
            keyed.Add((Math.Log(u) / score, new ExitCandidate(address, version, node.Performance)));
        }

        // Math.Log(u)/w orders exactly like u^(1/w), without underflow.
        return [.. keyed.OrderByDescending(k => k.Key).Take(options.MaxExits).Select(k => k.Exit)];
    }

    /// <summary>Parses a semantic version "MAJOR.MINOR.PATCH[-pre][+build]" into its core.</summary>
    public static bool TryParseVersion(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Version? version, out bool prerelease)
    {
        version = null;
        prerelease = false;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        string core = text.Trim();
        int plus = core.IndexOf('+', StringComparison.Ordinal);
        if (plus >= 0)
        {
            core = core[..plus];
        }

        int dash = core.IndexOf('-', StringComparison.Ordinal);
        if (dash >= 0)
        {
            prerelease = true;
            core = core[..dash];
        }

        string[] parts = core.Split('.');
        if (parts.Length != 3)
        {
            return false;
        }

        var numbers = new int[3];
        for (int i = 0; i < 3; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out numbers[i]))
            {
                return false;
            }
        }

        version = new Version(numbers[0], numbers[1], numbers[2]);
        return true;
    }

    private static double CryptoUniform() => (RandomNumberGenerator.GetInt32(int.MaxValue) + 1.0) / int.MaxValue;
}
