namespace Smolmix.Devices;

/// <summary>
/// A distribution of extra per-packet delays (jitter). Each packet's delay is sampled
/// independently, so a wide distribution reorders packets, as a mixnet does.
/// </summary>
internal abstract class DelayDistribution
{
    /// <summary>Creates a distribution; derive from this class to model a custom delay.</summary>
    protected DelayDistribution()
    {
    }

    /// <summary>No extra delay.</summary>
    public static DelayDistribution None { get; } = new ConstantDelay(TimeSpan.Zero);

    /// <summary>The mean delay of the distribution.</summary>
    public abstract TimeSpan Mean { get; }

    /// <summary>Draws one delay; never negative.</summary>
    /// <param name="rng">The random source; the result depends only on its state.</param>
    /// <returns>The sampled delay.</returns>
    public abstract TimeSpan Sample(Random rng);

    /// <summary>Always the same delay.</summary>
    /// <param name="delay">The delay; not negative.</param>
    /// <returns>The distribution.</returns>
    public static DelayDistribution Constant(TimeSpan delay)
    {
        ThrowIfNegative(delay, nameof(delay));
        return new ConstantDelay(delay);
    }

    /// <summary>A delay drawn uniformly from [<paramref name="min"/>, <paramref name="max"/>).</summary>
    /// <param name="min">The smallest delay; not negative.</param>
    /// <param name="max">The largest delay; at least <paramref name="min"/>.</param>
    /// <returns>The distribution.</returns>
    public static DelayDistribution Uniform(TimeSpan min, TimeSpan max)
    {
        ThrowIfNegative(min, nameof(min));
        if (max < min)
        {
            throw new ArgumentOutOfRangeException(nameof(max), max, $"The maximum delay must be at least the minimum ({min}).");
        }

        return new UniformDelay(min, max);
    }

    /// <summary>An exponentially distributed delay, as one Poisson-mixing hop of a mixnet adds.</summary>
    /// <param name="mean">The mean delay; not negative.</param>
    /// <returns>The distribution.</returns>
    public static DelayDistribution Exponential(TimeSpan mean)
    {
        ThrowIfNegative(mean, nameof(mean));
        return new GammaDelay(1, mean);
    }

    /// <summary>
    /// The sum of <paramref name="shape"/> independent exponential delays of mean
    /// <paramref name="scale"/> (an Erlang distribution: mean shape·scale, variance shape·scale²).
    /// With shape 3 it models a packet crossing three Poisson mix hops.
    /// </summary>
    /// <param name="shape">The number of exponential stages; at least 1.</param>
    /// <param name="scale">The mean of each stage; not negative.</param>
    /// <returns>The distribution.</returns>
    public static DelayDistribution Gamma(int shape, TimeSpan scale)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shape, 1);
        ThrowIfNegative(scale, nameof(scale));
        return new GammaDelay(shape, scale);
    }

    private static void ThrowIfNegative(TimeSpan value, string name)
    {
        if (value < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, value, "A delay cannot be negative.");
        }
    }

    private sealed class ConstantDelay(TimeSpan delay) : DelayDistribution
    {
        public override TimeSpan Mean => delay;

        public override TimeSpan Sample(Random rng) => delay;

        public override string ToString() => $"Constant({delay})";
    }

    private sealed class UniformDelay(TimeSpan min, TimeSpan max) : DelayDistribution
    {
        public override TimeSpan Mean => min + ((max - min) / 2);

        public override TimeSpan Sample(Random rng)
        {
            ArgumentNullException.ThrowIfNull(rng);
            return min + TimeSpan.FromTicks((long)(rng.NextDouble() * (max - min).Ticks));
        }

        public override string ToString() => $"Uniform({min}, {max})";
    }

    private sealed class GammaDelay(int shape, TimeSpan scale) : DelayDistribution
    {
        public override TimeSpan Mean => scale * shape;

        public override TimeSpan Sample(Random rng)
        {
            ArgumentNullException.ThrowIfNull(rng);
            double ticks = 0;
            for (int i = 0; i < shape; i++)
            {
                // 1 - U lies in (0, 1], so the logarithm is finite.
                ticks -= Math.Log(1.0 - rng.NextDouble());
            }

            return TimeSpan.FromTicks((long)Math.Round(ticks * scale.Ticks));
        }

        public override string ToString() => shape == 1 ? $"Exponential({scale})" : $"Gamma({shape}, {scale})";
    }
}
