namespace Smolmix.Diagnostics;

/// <summary>
/// Lets one occurrence of a repeated event through per interval and counts the rest, so a
/// misbehaving peer produces one log line per interval (with the number suppressed since the
/// previous line) instead of one per event. Thread-safe.
/// </summary>
internal sealed class LogRateLimiter
{
    /// <summary>The interval used by the tunnel and the nym-client connection.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(10);

    private readonly TimeProvider _time;
    private readonly long _intervalTicks;
    private readonly Lock _gate = new();
    private long _lastLogged;
    private bool _logged;
    private int _suppressed;

    public LogRateLimiter(TimeProvider time, TimeSpan? interval = null)
    {
        _time = time;
        _intervalTicks = (long)((interval ?? DefaultInterval).TotalSeconds * time.TimestampFrequency);
    }

    /// <summary>
    /// Whether this occurrence should be logged; if so, <paramref name="suppressed"/> is how many
    /// were not logged since the previous one.
    /// </summary>
    public bool TryAcquire(out int suppressed)
    {
        long now = _time.GetTimestamp();
        lock (_gate)
        {
            if (_logged && now - _lastLogged < _intervalTicks)
            {
                _suppressed++;
                suppressed = 0;
                return false;
            }

            _logged = true;
            _lastLogged = now;
            suppressed = _suppressed;
            _suppressed = 0;
            return true;
        }
    }
}
