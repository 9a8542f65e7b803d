namespace Smolmix.Tcp;

/// <summary>CUBIC (RFC 9438): C = 0.4, β = 0.7, fast convergence and the Reno-friendly region.</summary>
internal sealed class CubicCongestionControl : CongestionControl
{
    private const double C = 0.4;
    private const double Beta = 0.7;
    private const double AlphaReno = 3 * (1 - Beta) / (1 + Beta);

    private double _wMax;          // segments
    private double _wLastMax;      // segments, for fast convergence
    private double _k;             // seconds
    private long _epochStartUs = -1;
    private double _wEst;          // segments, Reno-friendly estimate
    private double _cwndCarry;     // fractional increase carried over

    public CubicCongestionControl(int mss, int initialWindowSegments) : base(mss, initialWindowSegments)
    {
    }

    /// <inheritdoc/>
    public override string Name => "cubic";

    /// <inheritdoc/>
    public override void OnAck(long ackedBytes, long nowUs, long srttUs)
    {
        if (InSlowStart)
        {
            SlowStart(ackedBytes);
            return;
        }
        double cwndSeg = (double)Cwnd / Mss;
        if (_epochStartUs < 0)
        {
            _epochStartUs = nowUs;
            if (_wMax < cwndSeg)
            {
                _wMax = cwndSeg;
                _k = 0;
            }
            else
            {
                _k = Math.Cbrt((_wMax - cwndSeg) / C);
            }
            _wEst = cwndSeg;
        }
        double t = (nowUs - _epochStartUs) / 1e6 + Math.Max(srttUs, 1000) / 1e6;
        double target = C * Math.Pow(t - _k, 3) + _wMax;
        // Clamp the per-RTT growth to 1.5x (RFC 9438 §4.2).
        target = Math.Clamp(target, cwndSeg, 1.5 * cwndSeg);
        double ackedSeg = (double)ackedBytes / Mss;
        _wEst += AlphaReno * ackedSeg / cwndSeg;
        double increase = _wEst > target
            ? (_wEst - cwndSeg) * ackedSeg / cwndSeg
            : (target - cwndSeg) * ackedSeg / cwndSeg;
        _cwndCarry += Math.Max(0, increase) * Mss;
        if (_cwndCarry >= 1)
        {
            long whole = (long)_cwndCarry;
            Cwnd += whole;
            _cwndCarry -= whole;
        }
    }

    /// <inheritdoc/>
    public override void OnCongestionEvent(long nowUs)
    {
        double cwndSeg = (double)Cwnd / Mss;
        _wMax = cwndSeg < _wLastMax ? cwndSeg * (1 + Beta) / 2 : cwndSeg;
        _wLastMax = cwndSeg;
        Ssthresh = Math.Max((long)(Cwnd * Beta), 2L * Mss);
        Cwnd = Ssthresh;
        _epochStartUs = -1;
        _cwndCarry = 0;
    }

    /// <inheritdoc/>
    public override void OnGrowthPaused()
    {
        // RFC 9438 §5.8: time the window did not limit the sender must not count as growth time.
        _epochStartUs = -1;
        _cwndCarry = 0;
    }

    /// <inheritdoc/>
    public override object SaveState() => (Cwnd, Ssthresh, _wMax, _wLastMax);

    /// <inheritdoc/>
    public override void RestoreState(object state)
    {
        (long c, long s, double wMax, double wLast) = ((long, long, double, double))state;
        Cwnd = Math.Max(Cwnd, c);
        Ssthresh = Math.Max(Ssthresh, s);
        _wMax = wMax;
        _wLastMax = wLast;
        _epochStartUs = -1;
    }
}
