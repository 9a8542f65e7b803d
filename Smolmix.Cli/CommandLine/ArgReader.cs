using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;

namespace Smolmix.CommandLine;

/// <summary>
/// The one argument parser of the smolmix CLI, its examples and benchmarks: a left-to-right pass in which the
/// caller switches on each option name and asks for its value by type. Every error is a
/// <see cref="UsageException"/> whose message names the option and the value, e.g.
/// <c>--port wants a whole number from 0 to 65535, not 'x'</c>.
/// </summary>
/// <example><code>
/// var reader = new ArgReader(args);
/// while (reader.Next(out string? arg))
/// {
///     switch (arg)
///     {
///         case "--port": port = reader.Int(arg, 0, 65535); break;
///         default: throw reader.Unknown(arg);
///     }
/// }
/// </code></example>
internal sealed class ArgReader(IReadOnlyList<string> args)
{
    private int _next;

    /// <summary>True when the arguments ask for help (<c>-h</c>, <c>--help</c>), wherever they are.</summary>
    public bool WantsHelp => args.Any(a => a is "-h" or "--help");

    /// <summary>True when the arguments ask for verbose logging (<c>-v</c>, <c>--verbose</c>), wherever they are.</summary>
    public bool WantsVerbose => args.Any(a => a is "-v" or "--verbose");

    /// <summary>The next argument, or false at the end.</summary>
    public bool Next([NotNullWhen(true)] out string? arg)
    {
        arg = _next < args.Count ? args[_next++] : null;
        return arg is not null;
    }

    /// <summary>The value of <paramref name="option"/>: the next argument.</summary>
    public string Value(string option)
    {
        if (_next >= args.Count)
        {
            throw new UsageException($"{option} needs a value");
        }

        return args[_next++];
    }

    /// <summary>A whole-number value from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public int Int(string option, int min, int max) => (int)Long(option, min, max);

    /// <summary>A whole-number value from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public long Long(string option, long min, long max)
    {
        string text = Value(option);
        if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long value) || value < min || value > max)
        {
            throw Bad(option, $"a whole number{Range(min, max)}", text);
        }

        return value;
    }

    /// <summary>A number value from <paramref name="min"/> to <paramref name="max"/> (a dot for decimals).</summary>
    public double Number(string option, double min, double max)
    {
        string text = Value(option);
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !(value >= min && value <= max))
        {
            throw Bad(option, $"a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}", text);
        }

        return value;
    }

    /// <summary>A positive number of seconds, at most <paramref name="max"/> (default: a day).</summary>
    public TimeSpan Seconds(string option, TimeSpan? max = null)
    {
        TimeSpan limit = max ?? TimeSpan.FromDays(1);
        string text = Value(option);
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double s) || !(s > 0) || s > limit.TotalSeconds)
        {
            throw Bad(option, $"a number of seconds (more than 0, at most {limit.TotalSeconds.ToString(CultureInfo.InvariantCulture)})", text);
        }

        return TimeSpan.FromSeconds(s);
    }

    /// <summary>One of the named <paramref name="choices"/> (case-insensitive).</summary>
    public T Choice<T>(string option, params (string Name, T Value)[] choices)
    {
        string text = Value(option);
        foreach ((string name, T value) in choices)
        {
            if (string.Equals(name, text, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        string names = choices.Length == 1 ? choices[0].Name : $"{string.Join(", ", choices[..^1].Select(c => c.Name))} or {choices[^1].Name}";
        throw Bad(option, names, text);
    }

    /// <summary>An absolute URI with one of the <paramref name="schemes"/> and a host.</summary>
    public Uri Uri(string option, params string[] schemes)
    {
        string text = Value(option);
        if (!System.Uri.TryCreate(text, UriKind.Absolute, out Uri? uri) || !schemes.Contains(uri.Scheme, StringComparer.Ordinal) || uri.Host.Length == 0)
        {
            throw Bad(option, $"a {string.Join(" or ", schemes.Select(s => s + "://"))} URI", text);
        }

        return uri;
    }

    /// <summary>A nym-client WebSocket URI (ws:// or wss://).</summary>
    public Uri NymClient(string option) => Uri(option, "ws", "wss");

    /// <summary>An IPR exit's Nym address (<c>CLIENT.ENCRYPTION@GATEWAY</c>), checked as the tunnel will check it.</summary>
    public string ExitAddress(string option)
    {
        string text = Value(option);
        try
        {
            new TunnelOptions { Exits = [text] }.Validate();
        }
        catch (ArgumentException)
        {
            throw Bad(option, "a Nym address (CLIENT.ENCRYPTION@GATEWAY)", text);
        }

        return text;
    }

    /// <summary>An IP address and port, e.g. <c>127.0.0.1:8080</c> or <c>[::1]:8080</c>.</summary>
    public IPEndPoint EndPoint(string option)
    {
        string text = Value(option);
        if (!IPEndPoint.TryParse(text, out IPEndPoint? endPoint) || endPoint.Port == 0)
        {
            throw Bad(option, "IP:PORT (e.g. 127.0.0.1:8080)", text);
        }

        return endPoint;
    }

    /// <summary>The error for an option nobody asked for; a bare word is an unexpected argument.</summary>
    public UsageException Unknown(string arg) =>
        new(arg.Length > 1 && arg[0] == '-' ? $"unknown option '{arg}'" : $"unexpected argument '{arg}'");

    /// <summary>The error for a value that is not what <paramref name="option"/> wants.</summary>
    public static UsageException Bad(string option, string wants, string value) => new($"{option} wants {wants}, not '{value}'");

    private static string Range(long min, long max) =>
        (min, max) switch
        {
            (long.MinValue, long.MaxValue) => string.Empty,
            (_, long.MaxValue) => $" of at least {min}",
            _ => $" from {min} to {max}",
        };
}
