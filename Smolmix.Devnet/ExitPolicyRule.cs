using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Smolmix.Devnet;

/// <summary>
/// One line of an <see cref="ExitPolicy"/>: accept or reject packets to a network and port range.
/// </summary>
/// <param name="Accept">True to let matching packets through, false to reject them.</param>
/// <param name="Network">The destination network, or null for every address of both families.</param>
/// <param name="PrefixLength">The network's prefix length in bits.</param>
/// <param name="PortFrom">The first port of the range (0 also matches portless protocols such as ICMP).</param>
/// <param name="PortTo">The last port of the range.</param>
public sealed record ExitPolicyRule(bool Accept, IPAddress? Network, int PrefixLength, int PortFrom, int PortTo)
{
    /// <summary>
    /// Parses <c>accept|reject ADDRESS[/BITS]:PORT[-PORT]</c>, where ADDRESS may be <c>*</c>
    /// (every address) and IPv6 addresses are written in brackets, and PORT may be <c>*</c> (0–65535).
    /// </summary>
    /// <param name="text">The rule.</param>
    /// <returns>The parsed rule.</returns>
    /// <exception cref="FormatException">The text is not a rule.</exception>
    public static ExitPolicyRule Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] parts = text.Trim().Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length != 2)
        {
            throw new FormatException($"Exit policy rule '{text}' must be 'accept|reject ADDRESS:PORT'.");
        }

        bool accept = parts[0].ToLowerInvariant() switch
        {
            "accept" or "accept6" => true,
            "reject" or "reject6" => false,
            _ => throw new FormatException($"Exit policy rule '{text}' must start with accept or reject."),
        };

        string target = parts[1];
        int colon = target.LastIndexOf(':');
        if (colon <= 0)
        {
            throw new FormatException($"Exit policy rule '{text}' has no ':PORT'.");
        }

        (int from, int to) = ParsePorts(target[(colon + 1)..], text);
        string address = target[..colon];
        if (address == "*")
        {
            return new ExitPolicyRule(accept, null, 0, from, to);
        }

        int slash = address.IndexOf('/', StringComparison.Ordinal);
        string host = (slash < 0 ? address : address[..slash]).Trim('[', ']');
        if (!IPAddress.TryParse(host, out IPAddress? network))
        {
            throw new FormatException($"Exit policy rule '{text}' has an invalid address.");
        }

        int maxBits = network.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        int bits = maxBits;
        if (slash >= 0 && (!int.TryParse(address[(slash + 1)..].TrimEnd(']'), NumberStyles.None, CultureInfo.InvariantCulture, out bits) || bits > maxBits))
        {
            throw new FormatException($"Exit policy rule '{text}' has an invalid prefix length.");
        }

        return new ExitPolicyRule(accept, network, bits, from, to);
    }

    /// <summary>Whether the rule covers <paramref name="address"/> and <paramref name="port"/>.</summary>
    /// <param name="address">The destination address.</param>
    /// <param name="port">The destination port, or 0 for portless protocols.</param>
    /// <returns>True when the rule applies.</returns>
    public bool Matches(IPAddress address, int port)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (port < PortFrom || port > PortTo)
        {
            return false;
        }

        if (Network is null)
        {
            return true;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != Network.AddressFamily)
        {
            return false;
        }

        byte[] a = address.GetAddressBytes();
        byte[] n = Network.GetAddressBytes();
        int bits = PrefixLength;
        for (int i = 0; i < a.Length && bits > 0; i++, bits -= 8)
        {
            int mask = bits >= 8 ? 0xFF : (0xFF << (8 - bits)) & 0xFF;
            if ((a[i] & mask) != (n[i] & mask))
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc />
    public override string ToString()
    {
        string address = Network is null ? "*"
            : Network.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{Network}]/{PrefixLength}" : $"{Network}/{PrefixLength}";
        string ports = PortFrom == 0 && PortTo == 65535 ? "*" : PortFrom == PortTo ? $"{PortFrom}" : $"{PortFrom}-{PortTo}";
        return $"{(Accept ? "accept" : "reject")} {address}:{ports}";
    }

    private static (int From, int To) ParsePorts(string ports, string text)
    {
        if (ports == "*")
        {
            return (0, 65535);
        }

        int dash = ports.IndexOf('-', StringComparison.Ordinal);
        string first = dash < 0 ? ports : ports[..dash];
        string last = dash < 0 ? ports : ports[(dash + 1)..];
        if (!int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out int from)
            || !int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out int to)
            || from > 65535 || to > 65535 || from > to)
        {
            throw new FormatException($"Exit policy rule '{text}' has an invalid port range.");
        }

        return (from, to);
    }
}
