using System.Globalization;
using System.Text;

namespace Smolmix.Dns.Wire;

/// <summary>
/// Domain names: the wire form (length-prefixed labels, compression pointers) and the presentation
/// form used everywhere else (labels joined by dots, no trailing dot, the root as ".", bytes other
/// than printable ASCII, '.' and '\' escaped as <c>\DDD</c> or <c>\.</c>).
/// </summary>
internal static class DnsName
{
    /// <summary>The longest name on the wire, in bytes (RFC 1035 §2.3.4).</summary>
    public const int MaxWireLength = 255;

    /// <summary>The longest label, in bytes.</summary>
    public const int MaxLabelLength = 63;

    /// <summary>Compression pointers followed in one name, at most (a name has at most 127 labels).</summary>
    public const int MaxPointerHops = 127;

    private static readonly IdnMapping Idn = new() { AllowUnassigned = false, UseStd3AsciiRules = false };

    /// <summary>
    /// Turns a host name as a user types it into the ASCII form sent on the wire: one trailing dot
    /// dropped, internationalized labels converted with <see cref="IdnMapping"/> (punycode), lower
    /// case; letters, digits, '-' and '_' only; labels of 1–63 bytes; at most 255 bytes on the wire.
    /// </summary>
    /// <exception cref="ArgumentException">The name is empty, too long, or has a character or label a host name cannot have.</exception>
    public static string FromHostName(string hostName, string paramName = "hostName")
    {
        ArgumentNullException.ThrowIfNull(hostName, paramName);
        string s = hostName.Length > 1 && hostName[^1] == '.' ? hostName[..^1] : hostName;
        if (s.Length == 0 || s == ".")
        {
            throw new ArgumentException("The host name is empty.", paramName);
        }

        bool ascii = true;
        foreach (char c in s)
        {
            if (c > 0x7F)
            {
                ascii = false;
                break;
            }
        }

        if (!ascii)
        {
            try
            {
                s = Idn.GetAscii(s);
            }
            catch (ArgumentException ex)
            {
                throw new ArgumentException($"'{hostName}' is not a valid internationalized host name: {ex.Message}", paramName, ex);
            }
        }

        s = s.ToLowerInvariant();
        int wire = 1;
        int labelLength = 0;
        for (int i = 0; i <= s.Length; i++)
        {
            if (i == s.Length || s[i] == '.')
            {
                if (labelLength == 0)
                {
                    throw new ArgumentException($"'{hostName}' has an empty label.", paramName);
                }

                if (labelLength > MaxLabelLength)
                {
                    throw new ArgumentException($"'{hostName}' has a label longer than {MaxLabelLength} bytes.", paramName);
                }

                wire += labelLength + 1;
                labelLength = 0;
                continue;
            }

            char c = s[i];
            if (!(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '_'))
            {
                throw new ArgumentException($"'{hostName}' contains '{c}', which a host name cannot have.", paramName);
            }

            labelLength++;
        }

        if (wire > MaxWireLength)
        {
            throw new ArgumentException($"'{hostName}' is longer than {MaxWireLength} bytes on the wire.", paramName);
        }

        return s;
    }

    /// <summary>True when two presentation-form names are the same name (ASCII case-insensitive).</summary>
    public static bool Equal(string a, string b) => string.Equals(Trim(a), Trim(b), StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads a name at <paramref name="position"/> in <paramref name="message"/>; on return <paramref name="position"/> is just past it.</summary>
    public static string Read(ReadOnlySpan<byte> message, ref int position, bool allowCompression)
    {
        var text = new StringBuilder(64);
        int p = position;
        int lowest = position; // every pointer must go strictly below the last place jumped to: no loops
        int end = -1;
        int wire = 1;
        int hops = 0;
        while (true)
        {
            if (p >= message.Length)
            {
                throw new DnsFormatException("A name runs past the end of the message.");
            }

            byte length = message[p];
            if (length == 0)
            {
                p++;
                break;
            }

            switch (length & 0xC0)
            {
                case 0xC0:
                    if (!allowCompression)
                    {
                        throw new DnsFormatException("A compression pointer where compression is not allowed.");
                    }

                    if (p + 1 >= message.Length)
                    {
                        throw new DnsFormatException("A compression pointer runs past the end of the message.");
                    }

                    int target = ((length & 0x3F) << 8) | message[p + 1];
                    if (target >= lowest)
                    {
                        throw new DnsFormatException("A compression pointer does not point backwards.");
                    }

                    if (++hops > MaxPointerHops)
                    {
                        throw new DnsFormatException("Too many compression pointers in one name.");
                    }

                    if (end < 0)
                    {
                        end = p + 2;
                    }

                    lowest = target;
                    p = target;
                    break;
                case 0x00:
                    if (p + 1 + length > message.Length)
                    {
                        throw new DnsFormatException("A label runs past the end of the message.");
                    }

                    wire += length + 1;
                    if (wire > MaxWireLength)
                    {
                        throw new DnsFormatException($"A name is longer than {MaxWireLength} bytes.");
                    }

                    AppendLabel(text, message.Slice(p + 1, length));
                    text.Append('.');
                    p += 1 + length;
                    break;
                default:
                    throw new DnsFormatException($"Reserved label type 0x{length & 0xC0:X2}.");
            }
        }

        position = end >= 0 ? end : p;
        return text.Length == 0 ? "." : text.ToString(0, text.Length - 1);
    }

    /// <summary>Splits a presentation-form name into its labels (escapes decoded).</summary>
    /// <exception cref="ArgumentException">An empty or over-long label, a bad escape, or a name longer than 255 bytes.</exception>
    public static List<byte[]> ToLabels(string name)
    {
        var labels = new List<byte[]>();
        if (name.Length == 0 || name == ".")
        {
            return labels;
        }

        Span<byte> label = stackalloc byte[MaxLabelLength + 1];
        int n = 0;
        int wire = 1;
        int i = 0;
        string s = Trim(name);
        while (true)
        {
            if (i == s.Length || s[i] == '.')
            {
                if (n == 0)
                {
                    throw new ArgumentException($"'{name}' has an empty label.", nameof(name));
                }

                labels.Add(label[..n].ToArray());
                wire += n + 1;
                n = 0;
                if (i == s.Length)
                {
                    break;
                }

                i++;
                continue;
            }

            int b;
            if (s[i] == '\\')
            {
                if (i + 1 >= s.Length)
                {
                    throw new ArgumentException($"'{name}' ends in a lone '\\'.", nameof(name));
                }

                if (char.IsAsciiDigit(s[i + 1]))
                {
                    if (i + 3 >= s.Length || !char.IsAsciiDigit(s[i + 2]) || !char.IsAsciiDigit(s[i + 3]))
                    {
                        throw new ArgumentException($"'{name}' has a bad \\DDD escape.", nameof(name));
                    }

                    b = ((s[i + 1] - '0') * 100) + ((s[i + 2] - '0') * 10) + (s[i + 3] - '0');
                    if (b > 255)
                    {
                        throw new ArgumentException($"'{name}' has a bad \\DDD escape.", nameof(name));
                    }

                    i += 4;
                }
                else
                {
                    b = s[i + 1];
                    i += 2;
                }
            }
            else
            {
                b = s[i];
                i++;
                if (b > 0x7F)
                {
                    // Presentation form is ASCII: a byte over 0x7F is written \DDD. A raw 'ü' is not the byte 0xFC.
                    throw new ArgumentException($"'{name}' has a character outside ASCII; convert it with IdnMapping first.", nameof(name));
                }
            }

            if (b > 0xFF)
            {
                throw new ArgumentException($"'{name}' has a character outside ASCII; convert it with IdnMapping first.", nameof(name));
            }

            if (n == MaxLabelLength)
            {
                throw new ArgumentException($"'{name}' has a label longer than {MaxLabelLength} bytes.", nameof(name));
            }

            label[n++] = (byte)b;
        }

        if (wire > MaxWireLength)
        {
            throw new ArgumentException($"'{name}' is longer than {MaxWireLength} bytes on the wire.", nameof(name));
        }

        return labels;
    }

    /// <summary>The presentation form of <paramref name="labels"/> from index <paramref name="start"/> on.</summary>
    public static string Join(List<byte[]> labels, int start)
    {
        var text = new StringBuilder(64);
        for (int i = start; i < labels.Count; i++)
        {
            if (i > start)
            {
                text.Append('.');
            }

            AppendLabel(text, labels[i]);
        }

        return text.Length == 0 ? "." : text.ToString();
    }

    /// <summary>Drops one trailing dot that is not itself escaped (an odd run of backslashes before it escapes it).</summary>
    private static string Trim(string name)
    {
        if (name.Length < 2 || name[^1] != '.')
        {
            return name;
        }

        int backslashes = 0;
        for (int i = name.Length - 2; i >= 0 && name[i] == '\\'; i--)
        {
            backslashes++;
        }

        return backslashes % 2 == 0 ? name[..^1] : name;
    }

    private static void AppendLabel(StringBuilder text, ReadOnlySpan<byte> label)
    {
        foreach (byte b in label)
        {
            if (b is (byte)'.' or (byte)'\\')
            {
                text.Append('\\').Append((char)b);
            }
            else if (b is > 0x20 and < 0x7F)
            {
                text.Append((char)b);
            }
            else
            {
                text.Append('\\').Append((b / 100).ToString(CultureInfo.InvariantCulture)).Append((b / 10 % 10).ToString(CultureInfo.InvariantCulture)).Append((b % 10).ToString(CultureInfo.InvariantCulture));
            }
        }
    }
}
