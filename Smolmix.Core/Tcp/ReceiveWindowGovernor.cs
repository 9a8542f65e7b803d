namespace Smolmix.Tcp;

/// <summary>
/// The receiver's half of the path model: a limit on the window a connection offers its peer, so a
/// bulk sender on a slow, long path (the mixnet's reply direction) keeps at most two
/// bandwidth-delay products in flight instead of the whole receive buffer. The sender is usually not
/// ours (a server on the internet); whatever it does, it cannot queue more than the window allows in
/// front of the bottleneck — the exit's SURB-bound reply queue, which every connection of the tunnel
/// shares, so one download would otherwise make every interactive response wait seconds behind it.
/// </summary>
/// <remarks>
/// Inputs are the receiver's own measurements (in the spirit of receiver-driven LEDBAT and Linux's
/// receive-side RTT estimate for autotuning): an RTT sample from every data segment whose timestamp
/// echo carries one of our TSvals (the time from our ACK leaving to the data it released arriving:
/// path RTT plus any queue in front of the sender's bytes), smoothed like RFC 6298's SRTT; the minimum
/// of that smoothed RTT (the path without a queue); and the in-order delivery rate over the last
/// <see cref="RateRounds"/> rounds of one minimum RTT each (bytes over time, not the best round: on the
/// mixnet in-order delivery comes in bursts when a late packet fills a hole, and the best of ten rounds
/// read 1.4–1.7 times the real rate, which let a standing queue of a whole RTT form). The limit is
/// <see cref="GainWithoutQueue"/> × rate × minimum RTT while the smoothed RTT stays within
/// <see cref="QueueThreshold"/> of its minimum (headroom for loss recovery and probing: while the window
/// is not the bottleneck a round delivers up to that multiple of the last rate) and <see cref="Gain"/> ×
/// rate × minimum RTT once it shows a standing queue, which then settles at most at three quarters of a
/// minimum RTT, counting the forward wait of our acknowledgements; never below <see cref="FloorBytes"/>.
/// The minimum never expires: a path whose base RTT grows by more than the gain for good is held near
/// the floor (not seen on the Devnet; a drain-based re-base like the sender's would lift it).
/// Paths whose minimum RTT is under <see cref="MinimumPathRttUs"/> (memory, LAN, loopback) are not
/// limited: timestamps tick in milliseconds, and their queues are not the problem.
/// </remarks>
internal sealed class ReceiveWindowGovernor
{
    /// <summary>
    /// In-flight bytes allowed per bandwidth-delay product while the RTT shows a standing queue: the queue settles
    /// at (gain − 1) minimum RTTs, which also has to cover the wait of our acknowledgements in the busy forward
    /// direction (below that the rate, measured as a mean, would shrink round by round toward the floor).
    /// </summary>
    public const double Gain = 1.75;

    /// <summary>In-flight bytes allowed per bandwidth-delay product while it does not: room to recover from a loss and to probe.</summary>
    public const double GainWithoutQueue = 2.0;

    /// <summary>A smoothed RTT above this multiple of its minimum shows a standing queue.</summary>
    public const double QueueThreshold = 1.25;

    /// <summary>The smallest limit: enough for a fast start and for small flows to never notice.</summary>
    public const long FloorBytes = 32 * 1024;

    /// <summary>Below this minimum RTT the path is local and nothing is limited.</summary>
    public const long MinimumPathRttUs = 20_000;

    /// <summary>Rounds the delivery-rate maximum looks back over.</summary>
    public const int RateRounds = 10;

    /// <summary>Samples larger than this are ignored (a stale echo after a pause).</summary>
    private const long MaximumSampleUs = 60_000_000;

    private readonly long[] _roundBytes = new long[RateRounds];
    private readonly long[] _roundSpans = new long[RateRounds];
    private int _rateCount;
    private int _rateNext;
    private long _srttUs = -1;
    private long _minSrttUs = long.MaxValue;
    private long _roundStartUs = -1;
    private long _bytesThisRound;

    /// <summary>Smoothed receiver-side RTT (µs), or -1 before the first sample.</summary>
    public long SrttUs => _srttUs;

    /// <summary>The smallest smoothed RTT seen (µs), or -1 before the first sample.</summary>
    public long MinSrttUs => _minSrttUs == long.MaxValue ? -1 : _minSrttUs;

    /// <summary>The in-order delivery rate over the last rounds (bytes per second), or 0.</summary>
    public long Rate
    {
        get
        {
            long bytes = 0, spanUs = 0;
            for (int i = 0; i < _rateCount; i++)
            {
                bytes += _roundBytes[i];
                spanUs += _roundSpans[i];
            }

            return spanUs == 0 ? 0 : bytes * 1_000_000 / spanUs;
        }
    }

    /// <summary>
    /// The window limit in bytes beyond RCV.NXT (excluding data already held out of order), or
    /// <see cref="long.MaxValue"/> while the path is local or not measured yet.
    /// </summary>
    public long Limit
    {
        get
        {
            if (_minSrttUs == long.MaxValue || _minSrttUs < MinimumPathRttUs || _rateCount == 0)
            {
                return long.MaxValue;
            }

            double bdp = Rate * (_minSrttUs / 1e6);
            double gain = _srttUs > QueueThreshold * _minSrttUs ? Gain : GainWithoutQueue;
            return Math.Max(FloorBytes, (long)(gain * bdp));
        }
    }

    /// <summary>Takes an RTT sample (µs) measured from a timestamp echo on a data segment.</summary>
    public void OnRttSample(long sampleUs)
    {
        if (sampleUs < 0 || sampleUs > MaximumSampleUs)
        {
            return;
        }

        _srttUs = _srttUs < 0 ? sampleUs : _srttUs + ((sampleUs - _srttUs) / 8);
        _minSrttUs = Math.Min(_minSrttUs, _srttUs);
    }

    /// <summary>Counts <paramref name="bytes"/> delivered in order at <paramref name="nowUs"/>.</summary>
    public void OnDelivered(int bytes, long nowUs)
    {
        if (_roundStartUs < 0)
        {
            _roundStartUs = nowUs;
            _bytesThisRound = 0;
            return;
        }

        _bytesThisRound += bytes;
        long round = _minSrttUs == long.MaxValue ? 200_000 : Math.Max(_minSrttUs, 10_000);
        long elapsed = nowUs - _roundStartUs;
        if (elapsed < round)
        {
            return;
        }

        // A round that spans an idle gap measures the application, not the path: keep only rounds that
        // delivered something in each of their minimum RTTs (elapsed below two rounds).
        if (elapsed < 2 * round)
        {
            _roundBytes[_rateNext] = _bytesThisRound;
            _roundSpans[_rateNext] = elapsed;
            _rateNext = (_rateNext + 1) % RateRounds;
            _rateCount = Math.Min(_rateCount + 1, RateRounds);
        }

        _roundStartUs = nowUs;
        _bytesThisRound = 0;
    }
}
