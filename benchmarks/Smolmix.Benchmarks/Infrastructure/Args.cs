using System.Globalization;

namespace Smolmix.Benchmarks.Infrastructure;

/// <summary>Tiny "--name value" / "--flag" parser for the runnable (non-BenchmarkDotNet) benchmarks.</summary>
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
                throw new ArgumentException($"Unexpected argument '{arg}'.");
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

    public string? String(string name)
    {
        _used.Add(name);
        return _values.TryGetValue(name, out var v) ? v : null;
    }

    public long Long(string name, long fallback)
    {
        string? v = String(name);
        return v is null ? fallback : long.Parse(v, CultureInfo.InvariantCulture);
    }

    public void ThrowIfUnused()
    {
        foreach (string key in _values.Keys)
        {
            if (!_used.Contains(key) && key is not "--help" and not "-h")
            {
                throw new ArgumentException($"Unknown option '{key}'.");
            }
        }
    }
}
