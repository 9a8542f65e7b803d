namespace Smolmix.Bridge;

/// <summary>
/// Timestamps (by <see cref="TimeProvider.GetTimestamp"/>) of one session's traffic, from which
/// the watchdog decides when to send keepalives and when the session is lost. Thread-safe.
/// </summary>
internal sealed class LivenessTracker
{
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private long _lastSent;
    private long _lastHeard;
    private long _unansweredSince;
    private long _firstUnansweredEcho;
    private int _echoesUnanswered;
    private bool _echoAnswered;

    public LivenessTracker(TimeProvider time)
    {
        _time = time;
        long now = time.GetTimestamp();
        _lastSent = now;
        _lastHeard = now;
    }

    /// <summary>Time since the last data message was sent.</summary>
    public TimeSpan SinceLastSent
    {
        get
        {
            lock (_gate)
            {
                return _time.GetElapsedTime(_lastSent);
            }
        }
    }

    /// <summary>Time since anything was heard from the exit.</summary>
    public TimeSpan SinceLastHeard
    {
        get
        {
            lock (_gate)
            {
                return _time.GetElapsedTime(_lastHeard);
            }
        }
    }

    /// <summary>How long the oldest message sent since the exit was last heard has gone unanswered; zero when nothing is outstanding.</summary>
    public TimeSpan Unanswered
    {
        get
        {
            lock (_gate)
            {
                return _unansweredSince == 0 ? TimeSpan.Zero : _time.GetElapsedTime(_unansweredSince);
            }
        }
    }

    /// <summary>
    /// True when the exit has answered keepalive echoes on this session before but has now left
    /// at least three in a row unanswered for longer than <paramref name="timeout"/>: it is up
    /// (control replies may still come) but no longer routes for us.
    /// </summary>
    public bool EchoesStopped(TimeSpan timeout)
    {
        lock (_gate)
        {
            return _echoAnswered && _echoesUnanswered >= 3 && _time.GetElapsedTime(_firstUnansweredEcho) >= timeout;
        }
    }

    /// <summary>A message went to the exit.</summary>
    public void OnSent()
    {
        lock (_gate)
        {
            _lastSent = _time.GetTimestamp();
            if (_unansweredSince == 0)
            {
                _unansweredSince = _lastSent;
            }
        }
    }

    /// <summary>A message came from the exit.</summary>
    public void OnHeard()
    {
        lock (_gate)
        {
            _lastHeard = _time.GetTimestamp();
            _unansweredSince = 0;
        }
    }

    /// <summary>A keepalive echo was queued (it counts as sent from now: it leaves within the flush delay).</summary>
    public void OnEchoSent()
    {
        lock (_gate)
        {
            _lastSent = _time.GetTimestamp();
            if (_unansweredSince == 0)
            {
                _unansweredSince = _lastSent;
            }

            if (_echoesUnanswered++ == 0)
            {
                _firstUnansweredEcho = _lastSent;
            }
        }
    }

    /// <summary>A keepalive echo was answered.</summary>
    public void OnEchoReply()
    {
        lock (_gate)
        {
            _echoesUnanswered = 0;
            _echoAnswered = true;
        }
    }
}
