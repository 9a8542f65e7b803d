using Microsoft.Extensions.Time.Testing;
using Smolmix.Devnet.Exit;
using Smolmix.Nym;

namespace Smolmix.Devnet.Tests.Exit;

/// <summary>The exit's return-path bundling: up to 1500 bytes, flushed on the client's buffer_timeout interval.</summary>
public sealed class ReturnBundlerTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly Lock _gate = new();
    private readonly List<(TimeSpan At, byte[] Bundle)> _emitted = [];
    private readonly long _origin;

    public ReturnBundlerTests() => _origin = _time.GetTimestamp();

    private TimeSpan Now => _time.GetElapsedTime(_origin);

    [Fact]
    public void SmallPackets_LeaveTogether_AtTheNextTick()
    {
        using ReturnBundler bundler = Create(TimeSpan.FromMilliseconds(20));
        _time.Advance(TimeSpan.FromMilliseconds(5));
        Add(bundler, 100);
        Add(bundler, 200);
        _time.Advance(TimeSpan.FromMilliseconds(14));
        Assert.Empty(_emitted);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        (TimeSpan at, byte[] bundle) = Assert.Single(_emitted);
        Assert.Equal(TimeSpan.FromMilliseconds(20), at);
        Assert.Equal([100, 200], PacketBundle.Decode(bundle).Select(p => p.Length));
    }

    [Fact]
    public void AFullBundle_LeavesAtOnce_AndRestartsTheInterval()
    {
        using ReturnBundler bundler = Create(TimeSpan.FromMilliseconds(20));
        _time.Advance(TimeSpan.FromMilliseconds(10));
        Add(bundler, 1000);
        Add(bundler, 1000); // 1002 + 1002 > 1500: the first leaves now
        (TimeSpan at, byte[] first) = Assert.Single(_emitted);
        Assert.Equal(TimeSpan.FromMilliseconds(10), at);
        Assert.Equal(1002, first.Length);

        // The interval restarted at 10 ms: the second goes at 30 ms, not 20 ms.
        _time.Advance(TimeSpan.FromMilliseconds(15));
        Assert.Single(_emitted);
        _time.Advance(TimeSpan.FromMilliseconds(5));
        Assert.Equal(2, _emitted.Count);
        Assert.Equal(TimeSpan.FromMilliseconds(30), _emitted[1].At);
    }

    [Fact]
    public void ExactlyFifteenHundredBytes_WaitForTheTick_AndOversizedPacketsFollowTheCodecsRules()
    {
        using ReturnBundler bundler = Create(TimeSpan.FromMilliseconds(50));
        Add(bundler, 1498);
        Assert.Empty(_emitted);

        // An oversized packet arriving while something is buffered pushes the buffer out and waits alone.
        Add(bundler, 3000);
        Assert.Equal([1500], _emitted.Select(e => e.Bundle.Length));
        _time.Advance(TimeSpan.FromMilliseconds(50));
        Assert.Equal([1500, 3002], _emitted.Select(e => e.Bundle.Length));

        // Into an empty buffer it leaves at once.
        Add(bundler, 3000);
        Assert.Equal([1500, 3002, 3002], _emitted.Select(e => e.Bundle.Length));
    }

    [Fact]
    public void AnIdleBundler_EmitsNothing()
    {
        using ReturnBundler bundler = Create(TimeSpan.FromMilliseconds(20));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Empty(_emitted);
    }

    private ReturnBundler Create(TimeSpan period) => new(_gate, _time, () => Now, period, bundle => _emitted.Add((Now, bundle)));

    private void Add(ReturnBundler bundler, int length)
    {
        lock (_gate)
        {
            bundler.Add(new byte[length]);
        }
    }
}
