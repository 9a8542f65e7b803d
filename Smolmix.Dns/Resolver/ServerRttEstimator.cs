namespace Smolmix.Dns.Resolver;

/// <summary>
/// The round-trip time to one server, smoothed as TCP does (RFC 6298): the retransmission timeout is
/// SRTT + 4·RTTVAR, clamped. Before the first sample it is the configured initial value, sized for
/// the mixnet rather than a LAN. Each retransmission carries a new query ID, so every sample is
/// unambiguous (no Karn's rule needed).
/// </summary>
internal sealed class ServerRttEstimator
{
    private readonly object _lock = new();
    private readonly TimeSpan _initial;
    private readonly TimeSpan _min;
    private readonly TimeSpan _max;
    private double _srtt;
    private double _rttvar;
    private bool _sampled;

    public ServerRttEstimator(TimeSpan initial, TimeSpan min, TimeSpan max)
    {
        _initial = initial;
        _min = min;
        _max = max;
    }

    /// <summary>The smoothed round trip, or null before the first sample.</summary>
    public TimeSpan? SmoothedRtt
    {
        get
        {
            lock (_lock)
            {
                return _sampled ? TimeSpan.FromSeconds(_srtt) : null;
            }
        }
    }

    /// <summary>The timeout for the first transmission of a query.</summary>
    public TimeSpan RetransmitTimeout
    {
        get
        {
            lock (_lock)
            {
                TimeSpan rto = _sampled ? TimeSpan.FromSeconds(_srtt + (4 * _rttvar)) : _initial;
                return Clamp(rto);
            }
        }
    }

    /// <summary>The timeout after <paramref name="retransmissions"/> retransmissions (doubling, clamped).</summary>
    public TimeSpan BackedOff(int retransmissions)
    {
        TimeSpan rto = RetransmitTimeout;
        for (int i = 0; i < retransmissions && rto < _max; i++)
        {
            rto *= 2;
        }

        return Clamp(rto);
    }

    /// <summary>Adds a measured round trip.</summary>
    public void Sample(TimeSpan rtt)
    {
        double r = Math.Max(0, rtt.TotalSeconds);
        lock (_lock)
        {
            if (!_sampled)
            {
                _srtt = r;
                _rttvar = r / 2;
                _sampled = true;
                return;
            }

            _rttvar = (0.75 * _rttvar) + (0.25 * Math.Abs(_srtt - r));
            _srtt = (0.875 * _srtt) + (0.125 * r);
        }
    }

    private TimeSpan Clamp(TimeSpan t) => t < _min ? _min : t > _max ? _max : t;
}
