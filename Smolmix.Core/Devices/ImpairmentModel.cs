namespace Smolmix.Devices;

/// <summary>
/// The pure decision logic of an impairment: given a packet's length and the current time,
/// decides whether it is lost, when it departs a bandwidth bottleneck, when it arrives, and
/// whether it is duplicated or corrupted. It has no clock and no I/O, so a discrete-event
/// simulator can drive it as well as <see cref="ImpairmentDevice"/>. Not thread-safe.
/// </summary>
/// <remarks>
/// Deterministic: the same <see cref="ImpairmentOptions.Seed"/> and sequence of
/// <see cref="Decide"/> calls give the same decisions. Loss, duplication, corruption and delay
/// draw from separate random streams, so changing one rate does not reshuffle the others.
/// Calls must pass non-decreasing <c>now</c> values.
/// </remarks>
internal sealed class ImpairmentModel
{
    private readonly ImpairmentOptions _options;
    private readonly Random _lossRng;
    private readonly Random _duplicateRng;
    private readonly Random _corruptRng;
    private readonly Random _delayRng;
    private readonly double _ticksPerByte;

    // When the bottleneck finishes serialising the last accepted packet, in (fractional) ticks.
    private double _lastDepartureTicks;

    private long _seen;
    private long _droppedByLoss;
    private long _droppedByQueue;
    private long _duplicated;
    private long _corrupted;

    /// <summary>Creates a model for one direction.</summary>
    public ImpairmentModel(ImpairmentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _lossRng = new Random(DeriveSeed(options.Seed, 1));
        _duplicateRng = new Random(DeriveSeed(options.Seed, 2));
        _corruptRng = new Random(DeriveSeed(options.Seed, 3));
        _delayRng = new Random(DeriveSeed(options.Seed, 4));
        _ticksPerByte = options.RateBytesPerSecond > 0 ? (double)TimeSpan.TicksPerSecond / options.RateBytesPerSecond : 0;
    }

    /// <summary>The options the model applies.</summary>
    public ImpairmentOptions Options => _options;

    /// <summary>What the model has done so far (<see cref="ImpairmentCounters.DroppedByCapacity"/> is always 0 here).</summary>
    public ImpairmentCounters Counters => new()
    {
        PacketsSeen = _seen,
        DroppedByLoss = _droppedByLoss,
        DroppedByQueue = _droppedByQueue,
        Duplicated = _duplicated,
        Corrupted = _corrupted,
    };

    /// <summary>The bytes waiting in the bottleneck at <paramref name="now"/> (not yet serialised).</summary>
    public long BacklogBytes(TimeSpan now)
    {
        if (_ticksPerByte == 0)
        {
            return 0;
        }

        double pendingTicks = _lastDepartureTicks - now.Ticks;
        return pendingTicks <= 0 ? 0 : (long)Math.Ceiling((pendingTicks / _ticksPerByte) - 1e-6);
    }

    /// <summary>Decides the fate of one packet offered at <paramref name="now"/>.</summary>
    /// <param name="packetLength">The packet's length in bytes.</param>
    /// <param name="now">The current time on the caller's clock; never less than on the previous call.</param>
    /// <returns>The decision.</returns>
    public ImpairmentDecision Decide(int packetLength, TimeSpan now)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(packetLength);
        _seen++;

        // 1. Loss.
        if (_options.LossRate > 0 && _lossRng.NextDouble() < _options.LossRate)
        {
            _droppedByLoss++;
            return new ImpairmentDecision { DropReason = ImpairmentDropReason.Loss, CorruptByteIndex = -1 };
        }

        // 2. The bottleneck: serialise after the previous packet; drop-tail when the backlog is full.
        double departTicks = now.Ticks;
        if (_ticksPerByte > 0)
        {
            if (_options.QueueLimitBytes > 0 && BacklogBytes(now) + packetLength > _options.QueueLimitBytes)
            {
                _droppedByQueue++;
                return new ImpairmentDecision { DropReason = ImpairmentDropReason.Queue, CorruptByteIndex = -1 };
            }

            departTicks = Math.Max(departTicks, _lastDepartureTicks) + (packetLength * _ticksPerByte);
            _lastDepartureTicks = departTicks;
        }

        var departAt = TimeSpan.FromTicks((long)Math.Ceiling(departTicks - 1e-6));

        // 3. Propagation delay plus jitter; each copy samples its own jitter.
        var deliverAt = departAt + _options.BaseDelay + _options.Jitter.Sample(_delayRng);

        bool duplicated = _options.DuplicateRate > 0 && _duplicateRng.NextDouble() < _options.DuplicateRate;
        var duplicateAt = TimeSpan.Zero;
        if (duplicated)
        {
            _duplicated++;
            duplicateAt = departAt + _options.BaseDelay + _options.Jitter.Sample(_delayRng);
        }

        int corruptIndex = -1;
        if (packetLength > 0 && _options.CorruptRate > 0 && _corruptRng.NextDouble() < _options.CorruptRate)
        {
            _corrupted++;
            corruptIndex = _corruptRng.Next(packetLength);
        }

        return new ImpairmentDecision
        {
            DepartAt = departAt,
            DeliverAt = deliverAt,
            Duplicated = duplicated,
            DuplicateDeliverAt = duplicateAt,
            CorruptByteIndex = corruptIndex,
        };
    }

    private static int DeriveSeed(int seed, int stream)
    {
        // SplitMix64 finaliser: well-spread, stable across runtimes (unlike HashCode).
        ulong z = ((ulong)(uint)seed << 8) + (ulong)stream + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z & 0x7FFFFFFF);
    }
}
