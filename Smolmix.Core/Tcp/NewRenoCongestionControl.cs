namespace Smolmix.Tcp;

/// <summary>NewReno (RFC 5681, RFC 6582): additive increase of one MSS per RTT, halve on loss.</summary>
internal sealed class NewRenoCongestionControl : CongestionControl
{
    private long _bytesAckedInCa;

    public NewRenoCongestionControl(int mss, int initialWindowSegments) : base(mss, initialWindowSegments)
    {
    }

    /// <inheritdoc/>
    public override string Name => "newreno";

    /// <inheritdoc/>
    public override void OnAck(long ackedBytes, long nowUs, long srttUs)
    {
        if (InSlowStart)
        {
            SlowStart(ackedBytes);
            return;
        }
        _bytesAckedInCa += ackedBytes;
        if (_bytesAckedInCa >= Cwnd)
        {
            _bytesAckedInCa -= Cwnd;
            Cwnd += Mss;
        }
    }

    /// <inheritdoc/>
    public override void OnCongestionEvent(long nowUs)
    {
        Ssthresh = Math.Max(Cwnd / 2, 2L * Mss);
        Cwnd = Ssthresh;
        _bytesAckedInCa = 0;
    }
}
