namespace Smolmix.Bridge;

/// <summary>
/// Decides how many reply SURBs each message to the exit carries. It keeps an estimate of the
/// exit's stock (SURBs sent minus reply packets received, each reply packet consuming one) and of
/// the downlink rate (an exponentially decayed count of reply packets, time constant 1 s), and
/// aims the stock at <see cref="SurbOptions.LowWatermark"/> plus what the downlink consumes within
/// <see cref="SurbOptions.RefillHorizon"/>, capped at <see cref="SurbOptions.HighWatermark"/>.
/// While the stock is under target, SURBs that fit in a message's padding are added; when the stock
/// falls below half the target (or the low watermark) the whole deficit is sent even if it costs
/// extra Sphinx packets. An idle downlink therefore costs 0–1 SURBs per message; a bulk download
/// is matched packet for packet.
/// </summary>
/// <remarks>
/// The exit can also ask nym-client for more SURBs on its own, which this estimate does not see;
/// the estimate is a lower bound, so the policy errs toward sending a few too many. Thread-safe.
/// </remarks>
internal sealed class SurbPolicy
{
    private const double RateTimeConstantSeconds = 1.0;

    private readonly SurbOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private long _sent;
    private long _consumed;
    private double _decayedCount;
    private long _decayedAt;

    public SurbPolicy(SurbOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _decayedAt = time.GetTimestamp();
    }

    /// <summary>The estimated number of SURBs the exit holds.</summary>
    public int EstimatedStock
    {
        get
        {
            lock (_gate)
            {
                return (int)Math.Clamp(_sent - _consumed, 0, int.MaxValue);
            }
        }
    }

    /// <summary>SURBs sent so far.</summary>
    public long Sent
    {
        get
        {
            lock (_gate)
            {
                return _sent;
            }
        }
    }

    /// <summary>The current downlink rate in reply packets per second.</summary>
    public double ReplyRate
    {
        get
        {
            lock (_gate)
            {
                return DecayedLocked(_time.GetTimestamp()) / RateTimeConstantSeconds;
            }
        }
    }

    /// <summary>The stock the policy aims at.</summary>
    public int Target
    {
        get
        {
            lock (_gate)
            {
                return TargetLocked(_time.GetTimestamp());
            }
        }
    }

    /// <summary>Records SURBs sent on any message (data or control).</summary>
    public void RecordSent(int surbs)
    {
        lock (_gate)
        {
            _sent += surbs;
        }
    }

    /// <summary>Records a message from the exit of <paramref name="messageLength"/> bytes; returns the SURBs it consumed.</summary>
    public int RecordReply(int messageLength)
    {
        int packets = SphinxEstimate.ReplyPackets(messageLength);
        lock (_gate)
        {
            long now = _time.GetTimestamp();
            _decayedCount = DecayedLocked(now) + packets;
            _decayedAt = now;
            // More replies than counted SURBs: the exit got some we did not see (it asks nym-client when it
            // runs low). The stock is empty, not negative.
            _consumed = Math.Min(_consumed + packets, _sent);
        }

        return packets;
    }

    /// <summary>SURBs to attach to a data message of <paramref name="messageLength"/> bytes. Does not record them.</summary>
    public int Choose(int messageLength)
    {
        lock (_gate)
        {
            int target = TargetLocked(_time.GetTimestamp());
            long stock = Math.Max(0, _sent - _consumed);
            long deficit = target - stock;
            if (deficit <= 0)
            {
                return 0;
            }

            // Under target: top up with the SURBs that ride free in the message's padding. Below half the
            // target the exit is about to stall, so the whole deficit goes even if it costs extra packets.
            bool urgent = stock < Math.Max(_options.LowWatermark, target / 2);
            long wanted = Math.Min(deficit, _options.MaxPerMessage);
            return urgent ? (int)wanted : (int)Math.Min(wanted, SphinxEstimate.FreeSurbSlots(messageLength));
        }
    }

    private double DecayedLocked(long now)
    {
        double elapsed = _time.GetElapsedTime(_decayedAt, now).TotalSeconds;
        return elapsed <= 0 ? _decayedCount : _decayedCount * Math.Exp(-elapsed / RateTimeConstantSeconds);
    }

    private int TargetLocked(long now)
    {
        double rate = DecayedLocked(now) / RateTimeConstantSeconds;
        double target = _options.LowWatermark + (rate * _options.RefillHorizon.TotalSeconds);
        return (int)Math.Clamp(Math.Ceiling(target - 0.01), _options.LowWatermark, _options.HighWatermark);
    }
}
