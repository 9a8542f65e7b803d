namespace Smolmix.Tcp;

/// <summary>
/// Loss-based congestion control with byte counting (RFC 5681, RFC 3465). Subclasses decide the
/// increase and the multiplicative decrease; the connection adds the path-model floor.
/// </summary>
internal abstract class CongestionControl
{
    protected CongestionControl(int mss, int initialWindowSegments)
    {
        Mss = mss;
        Cwnd = (long)Math.Max(2, initialWindowSegments) * mss;
        Ssthresh = long.MaxValue;
    }

    /// <summary>Sender MSS in bytes.</summary>
    public int Mss { get; set; }

    /// <summary>Congestion window (bytes).</summary>
    public long Cwnd { get; set; }

    /// <summary>Slow-start threshold (bytes).</summary>
    public long Ssthresh { get; set; }

    /// <summary>True while in slow start.</summary>
    public bool InSlowStart => Cwnd < Ssthresh;

    /// <summary>Name, for diagnostics.</summary>
    public abstract string Name { get; }

    /// <summary>Bytes newly acknowledged outside recovery while the window was in use.</summary>
    public abstract void OnAck(long ackedBytes, long nowUs, long srttUs);

    /// <summary>A loss episode starts (fast recovery): reduce ssthresh and cwnd.</summary>
    public abstract void OnCongestionEvent(long nowUs);

    /// <summary>A retransmission timeout: collapse to one segment (RFC 5681 §3.1).</summary>
    public virtual void OnRetransmitTimeout(long nowUs)
    {
        OnCongestionEvent(nowUs);
        Cwnd = Mss;
    }

    /// <summary>The sender held its window below cwnd for a while (not a congestion signal): growth restarts from now.</summary>
    public virtual void OnGrowthPaused()
    {
    }

    /// <summary>Snapshot of the state, for undo after a spurious retransmission.</summary>
    public virtual object SaveState() => (Cwnd, Ssthresh);

    /// <summary>Restores a snapshot taken with <see cref="SaveState"/>.</summary>
    public virtual void RestoreState(object state)
    {
        (long c, long s) = ((long, long))state;
        Cwnd = Math.Max(Cwnd, c);
        Ssthresh = Math.Max(Ssthresh, s);
    }

    /// <summary>Slow-start growth with appropriate byte counting, L = 2 (RFC 3465).</summary>
    protected void SlowStart(long ackedBytes) => Cwnd += Math.Min(ackedBytes, 2L * Mss);
}
