using System.Diagnostics;
using System.Globalization;

namespace Smolmix.Cli;

/// <summary>
/// The body's progress on standard error: a bar redrawn in place when standard error is a terminal,
/// otherwise a plain line every two seconds (only for bodies that take that long).
/// </summary>
internal sealed class ProgressDisplay
{
    private static readonly TimeSpan BarInterval = TimeSpan.FromMilliseconds(150);
    private static readonly TimeSpan LineInterval = TimeSpan.FromSeconds(2);

    private readonly bool _bar;
    private readonly long? _total;
    private readonly long _start = Stopwatch.GetTimestamp();
    private long _last = Stopwatch.GetTimestamp();
    private bool _drawn;

    public ProgressDisplay(bool bar, long? total)
    {
        _bar = bar;
        _total = total is > 0 ? total : null;
    }

    /// <summary>Called as bytes arrive; draws when it is time to.</summary>
    public void Report(long bytes)
    {
        if (Stopwatch.GetElapsedTime(_last) < (_bar ? BarInterval : LineInterval))
        {
            return;
        }

        _last = Stopwatch.GetTimestamp();
        if (_bar)
        {
            string text = Bar(bytes, Width());
            Console.Error.Write($"\r{text}");
            _drawn = true;
        }
        else
        {
            Console.Error.WriteLine($"progress: {Describe(bytes)}");
        }
    }

    /// <summary>Removes the bar (before other output, and at the end).</summary>
    public void Clear()
    {
        if (_drawn)
        {
            Console.Error.Write($"\r{new string(' ', Width() - 1)}\r");
            _drawn = false;
        }
    }

    /// <summary>A byte count for people: 512 B, 1.5 KiB, 16.0 MiB.</summary>
    public static string Size(double bytes) => bytes switch
    {
        < 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes:0} B"),
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024:0.0} KiB"),
        < 1024.0 * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024 * 1024):0.0} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):0.00} GiB"),
    };

    private string Describe(long bytes)
    {
        double seconds = Math.Max(Stopwatch.GetElapsedTime(_start).TotalSeconds, 0.001);
        double rate = bytes / seconds;
        string rateText = $"{Size(rate)}/s";
        if (_total is not { } total)
        {
            return $"{Size(bytes)}  {rateText}";
        }

        string eta = rate > 0 ? string.Create(CultureInfo.InvariantCulture, $"  ETA {Math.Max(0, (total - bytes) / rate):0}s") : string.Empty;
        return string.Create(CultureInfo.InvariantCulture, $"{100.0 * bytes / total,3:0}%  {Size(bytes)} / {Size(total)}  {rateText}{eta}");
    }

    private string Bar(long bytes, int width)
    {
        string tail = Describe(bytes);
        int cells = Math.Clamp(width - tail.Length - 4, 0, 40);
        if (cells < 10)
        {
            return tail;
        }

        int filled = _total is { } total ? (int)Math.Clamp(cells * bytes / total, 0, cells) : 0;
        string bar = _total is null
            ? new string('=', (int)(Stopwatch.GetElapsedTime(_start).TotalSeconds * 4 % cells)).PadRight(cells, ' ')
            : new string('#', filled) + new string('-', cells - filled);
        return $"[{bar}] {tail}";
    }

    private static int Width()
    {
        try
        {
            int width = Console.WindowWidth;
            return width > 20 ? width : 80;
        }
        catch (IOException)
        {
            return 80;
        }
    }
}
