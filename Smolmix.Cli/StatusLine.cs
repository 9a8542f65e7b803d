using System.Diagnostics;
using System.Globalization;

namespace Smolmix.Cli;

/// <summary>
/// On a terminal, a line on standard error that says what `smolmix get` is waiting for (starting the Devnet,
/// the tunnel, the request) with a spinner and the seconds so far; nothing when standard error is redirected.
/// </summary>
internal sealed class StatusLine : IDisposable
{
    private static readonly string[] Frames = ["|", "/", "-", "\\"];
    private readonly Lock _gate = new();
    private readonly Timer? _timer;
    private string? _phase;
    private long _since;
    private int _frame;
    private int _drawn;

    public StatusLine(bool enabled)
    {
        if (enabled)
        {
            _timer = new Timer(_ => Draw(), null, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(150));
        }
    }

    /// <summary>Shows <paramref name="phase"/> until the next call (null: nothing).</summary>
    public void Show(string? phase)
    {
        lock (_gate)
        {
            ClearLocked();
            _phase = phase;
            _since = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>Writes a line to standard error below nothing: the status is cleared first and comes back on the next tick.</summary>
    public void WriteLine(string line)
    {
        lock (_gate)
        {
            ClearLocked();
            Console.Error.WriteLine(line);
        }
    }

    public void Dispose()
    {
        _timer?.Dispose();
        Show(null);
    }

    private void Draw()
    {
        lock (_gate)
        {
            if (_phase is null)
            {
                return;
            }

            string seconds = Stopwatch.GetElapsedTime(_since).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
            string text = $"{Frames[_frame++ % Frames.Length]} {_phase} {seconds} s";
            int width = Width();
            if (text.Length >= width)
            {
                text = string.Concat(text.AsSpan(0, width - 2), "…");
            }

            Console.Error.Write($"\r{text}");
            _drawn = text.Length;
        }
    }

    private void ClearLocked()
    {
        if (_drawn > 0)
        {
            Console.Error.Write($"\r{new string(' ', _drawn)}\r");
            _drawn = 0;
        }
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
