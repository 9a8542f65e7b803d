using Smolmix.Nym;

namespace Smolmix.Devnet.Exit;

/// <summary>
/// Bundles one client's return packets the way the exit's per-client handler does: packets go
/// into a bundle of up to 1500 bytes, which leaves when the next packet would overflow it or at
/// the next tick of an interval of <c>buffer_timeout</c>; the interval restarts whenever a bundle
/// leaves. The timer is only armed while something is buffered (idle ticks would flush nothing).
/// All methods run under the exit's lock, which the timer callback takes too.
/// </summary>
internal sealed class ReturnBundler : IDisposable
{
    private readonly Lock _gate;
    private readonly Func<TimeSpan> _now;
    private readonly Action<byte[]> _emit;
    private readonly PacketBundleEncoder _encoder = new(PacketBundle.DefaultMaxBundleSize);
    private readonly ITimer _timer;
    private TimeSpan _lastReset;
    private bool _armed;
    private bool _disposed;

    /// <summary>Creates a bundler whose interval starts now.</summary>
    public ReturnBundler(Lock gate, TimeProvider time, Func<TimeSpan> now, TimeSpan period, Action<byte[]> emit)
    {
        _gate = gate;
        _now = now;
        Period = period;
        _emit = emit;
        _lastReset = now();
        _timer = time.CreateTimer(static s => ((ReturnBundler)s!).OnTick(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The flush interval (the client's buffer_timeout).</summary>
    public TimeSpan Period { get; }

    /// <summary>Bytes waiting for the next flush.</summary>
    public int BufferedLength => _encoder.BufferedLength;

    /// <summary>Adds a packet, emitting a bundle when it would overflow. Caller holds the lock.</summary>
    public void Add(ReadOnlySpan<byte> packet)
    {
        if (_disposed)
        {
            return;
        }

        if (_encoder.Add(packet) is { } full)
        {
            _emit(full);
            Reset();
        }

        if (_encoder.BufferedLength > 0 && !_armed)
        {
            ArmForNextTick();
        }
    }

    /// <summary>Stops the timer; buffered packets are discarded.</summary>
    public void Dispose()
    {
        _disposed = true;
        _timer.Dispose();
    }

    private void OnTick()
    {
        lock (_gate)
        {
            _armed = false;
            if (_disposed)
            {
                return;
            }

            if (_encoder.Flush() is { } bundle)
            {
                _emit(bundle);
                Reset();
            }
        }
    }

    private void Reset()
    {
        _lastReset = _now();
        if (_armed)
        {
            ArmForNextTick();
        }
    }

    private void ArmForNextTick()
    {
        TimeSpan now = _now();
        long periods = Period <= TimeSpan.Zero ? 1 : ((now - _lastReset).Ticks / Period.Ticks) + 1;
        TimeSpan due = _lastReset + (Period * periods);
        _armed = true;
        _timer.Change(due > now ? due - now : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }
}
