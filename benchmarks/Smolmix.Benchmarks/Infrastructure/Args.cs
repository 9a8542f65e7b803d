using System.Globalization;
using Smolmix.CommandLine;

namespace Smolmix.Benchmarks.Infrastructure;

/// <summary>
/// Tiny "--name value" / "--flag" parser for the runnable (non-BenchmarkDotNet) benchmarks; its errors are the shared
/// <see cref="UsageException"/>s (one line naming the option and the value, exit 2).
/// </summary>
internal sealed class Args
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public Args(IEnumerable<string> args)
    {
        string? pending = null;
        foreach (string arg in args)
        {
            if (arg.StartsWith("--", StringComparison.Ordinal) || arg is "-h")
            {
                if (pending is not null)
                {
                    _values[pending] = null;
                }
                pending = arg;
            }
            else if (pending is not null)
            {
                _values[pending] = arg;
                pending = null;
            }
            else
            {
                throw new UsageException($"unexpected argument '{arg}'");
            }
        }
        if (pending is not null)
        {
            _values[pending] = null;
        }
    }

    public bool Help => _values.ContainsKey("--help") || _values.ContainsKey("-h");

    public bool Flag(string name)
    {
        _used.Add(name);
        return _values.ContainsKey(name);
    }

    public string? String(string name) => Value(name);

    public long Long(string name, long fallback, long min = 0, long max = 1L << 40)
    {
        string? v = Value(name);
        if (v is null)
        {
            return fallback;
        }

        return long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out long value) && value >= min && value <= max
            ? value
            : throw ArgReader.Bad(name, $"a whole number from {min} to {max}", v);
    }

    /// <summary>A comma-separated list of numbers, e.g. <c>--loss 0,0.01</c>.</summary>
    public double[] Doubles(string name, double[] fallback, double min, double max)
    {
        string? v = Value(name);
        if (v is null)
        {
            return fallback;
        }

        var values = new List<double>();
        foreach (string part in v.Split(','))
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) || !(d >= min && d <= max))
            {
                throw ArgReader.Bad(name, $"comma-separated numbers from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}", v);
            }

            values.Add(d);
        }

        return [.. values];
    }

    /// <summary>The value of an option that takes one; null when the option is absent.</summary>
    private string? Value(string name)
    {
        _used.Add(name);
        if (!_values.TryGetValue(name, out string? v))
        {
            return null;
        }

        return v ?? throw new UsageException($"{name} needs a value");
    }

    public void ThrowIfUnused()
    {
        foreach (string key in _values.Keys)
        {
            if (!_used.Contains(key) && key is not "--help" and not "-h")
            {
                throw new UsageException($"unknown option '{key}'");
            }
        }
    }
}
