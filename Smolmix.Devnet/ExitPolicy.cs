using System.Net;

namespace Smolmix.Devnet;

/// <summary>
/// Which destinations the Devnet exit forwards packets to: an ordered list of rules, the first
/// match deciding, and a default for packets no rule matches. A rejected packet is dropped and its
/// client is told with an <c>Info ExitPolicyFilterCheckFailed</c> message, as the real exit does.
/// </summary>
public sealed class ExitPolicy
{
    /// <summary>Creates a policy.</summary>
    /// <param name="rules">The rules, in order; the first that matches decides.</param>
    /// <param name="acceptByDefault">What happens to packets no rule matches.</param>
    public ExitPolicy(IEnumerable<ExitPolicyRule> rules, bool acceptByDefault = true)
    {
        ArgumentNullException.ThrowIfNull(rules);
        Rules = [.. rules];
        AcceptByDefault = acceptByDefault;
    }

    /// <summary>A policy that accepts every destination.</summary>
    public static ExitPolicy AcceptAll { get; } = new([]);

    /// <summary>The rules, in order.</summary>
    public IReadOnlyList<ExitPolicyRule> Rules { get; }

    /// <summary>What happens to packets no rule matches.</summary>
    public bool AcceptByDefault { get; }

    /// <summary>
    /// Parses one rule per line (see <see cref="ExitPolicyRule.Parse"/>); blank lines and text after
    /// <c>#</c> are ignored. Packets no rule matches are accepted.
    /// </summary>
    /// <param name="text">The policy text.</param>
    /// <returns>The policy.</returns>
    /// <exception cref="FormatException">A line is not a rule.</exception>
    public static ExitPolicy Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var rules = new List<ExitPolicyRule>();
        foreach (string raw in text.Split('\n', ','))
        {
            int hash = raw.IndexOf('#', StringComparison.Ordinal);
            string line = (hash < 0 ? raw : raw[..hash]).Trim();
            if (line.Length > 0)
            {
                rules.Add(ExitPolicyRule.Parse(line));
            }
        }

        return new ExitPolicy(rules);
    }

    /// <summary>Whether a packet to <paramref name="address"/>:<paramref name="port"/> may leave the exit.</summary>
    /// <param name="address">The destination address.</param>
    /// <param name="port">The destination port, or 0 for portless protocols.</param>
    /// <returns>True when the packet may pass.</returns>
    public bool Allows(IPAddress address, int port)
    {
        foreach (ExitPolicyRule rule in Rules)
        {
            if (rule.Matches(address, port))
            {
                return rule.Accept;
            }
        }

        return AcceptByDefault;
    }

    /// <inheritdoc />
    public override string ToString() => string.Join(", ", Rules);
}
