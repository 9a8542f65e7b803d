using System.Globalization;

namespace Smolmix.Dns.Tests.Wire;

/// <summary>Hand-assembled wire bytes written as hex: whitespace ignored, ';' starts a comment to the end of the line.</summary>
internal static class WireHex
{
    public static byte[] Bytes(string annotatedHex)
    {
        var digits = new System.Text.StringBuilder();
        foreach (string line in annotatedHex.Split('\n'))
        {
            int comment = line.IndexOf(';', StringComparison.Ordinal);
            foreach (char c in comment >= 0 ? line[..comment] : line)
            {
                if (!char.IsWhiteSpace(c))
                {
                    digits.Append(c);
                }
            }
        }

        return Convert.FromHexString(digits.ToString());
    }

    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLower(CultureInfo.InvariantCulture);
}
