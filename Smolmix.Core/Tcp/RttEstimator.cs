namespace Smolmix.Tcp;

/// <summary>RFC 6298 smoothed RTT, RTT variance and RTO, plus a windowed minimum RTT.</summary>
internal sealed class RttEstimator
{
    private readonly long _minRtoUs;
    private readonly long _maxRtoUs;
    private readonly long _initialRtoUs;
    private long _minRttWindowStart;
    private const long MinRttWindowUs = 10_000_000;

    public RttEstimator(TimeSpan initialRto, TimeSpan minRto, TimeSpan maxRto)
    {
        _initialRtoUs = initialRto.Ticks / 10;
        _minRtoUs = minRto.Ticks / 10;
        _maxRtoUs = maxRto.Ticks / 10;
        RtoUs = _initialRtoUs;
    }

    /// <summary>Smoothed RTT (µs), 0 before the first sample.</summary>
    public long SrttUs { get; private set; }

    /// <summary>RTT variance (µs).</summary>
    public long RttVarUs { get; private set; }

    /// <summary>Current RTO before backoff (µs).</summary>
    public long RtoUs { get; private set; }

    /// <summary>Minimum RTT over the last 10 s (µs), long.MaxValue before a sample.</summary>
    public long MinRttUs { get; private set; } = long.MaxValue;

    /// <summary>Latest sample (µs).</summary>
    public long LatestRttUs { get; private set; }

    /// <summary>True once a sample has been taken.</summary>
    public bool HasSample => SrttUs > 0;

    /// <summary>Consecutive backoffs applied to the RTO.</summary>
    public int Backoff { get; set; }

    /// <summary>RTO with exponential backoff applied, clamped to the maximum.</summary>
    public long BackedOffRtoUs => Math.Min(_maxRtoUs, RtoUs << Math.Min(Backoff, 20));

    /// <summary>Feeds one RTT sample (µs). <paramref name="samplesPerRtt"/> scales the gains (RFC 7323 App. G).</summary>
    public void Sample(long rttUs, long nowUs, int samplesPerRtt = 1)
    {
        rttUs = Math.Max(rttUs, 1);
        LatestRttUs = rttUs;
        if (rttUs <= MinRttUs || nowUs - _minRttWindowStart > MinRttWindowUs)
        {
            MinRttUs = rttUs;
            _minRttWindowStart = nowUs;
        }
        if (SrttUs == 0)
        {
            SrttUs = rttUs;
            RttVarUs = rttUs / 2;
        }
        else
        {
            int n = Math.Max(1, samplesPerRtt);
            long err = rttUs - SrttUs;
            // alpha = 1/8 and beta = 1/4 divided by the number of samples per RTT.
            RttVarUs += (Math.Abs(err) - RttVarUs) / (4L * n);
            SrttUs += err / (8L * n);
            if (SrttUs < 1)
            {
                SrttUs = 1;
            }
        }
        RtoUs = Math.Clamp(SrttUs + Math.Max(4 * RttVarUs, 1000), _minRtoUs, _maxRtoUs);
    }

    /// <summary>After repeated timeouts: forget the estimate (RFC 6298 §5 note), keep the minimum.</summary>
    public void Reset()
    {
        SrttUs = 0;
        RttVarUs = 0;
        RtoUs = _initialRtoUs;
    }
}
