using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;

namespace Smolmix.Tests.Tunnel;

/// <summary>Drives a <see cref="FakeTimeProvider"/> while real I/O (WebSockets on loopback) runs.</summary>
internal static class FakeClock
{
    private static readonly TimeSpan RealBound = TimeSpan.FromSeconds(60);

    /// <summary>Advances the clock by <paramref name="step"/> every millisecond or so until <paramref name="task"/> completes.</summary>
    public static async Task<T> DriveAsync<T>(this FakeTimeProvider time, Task<T> task, TimeSpan? step = null)
    {
        await time.DriveAsync((Task)task, step);
        return await task;
    }

    /// <summary>Advances the clock by <paramref name="step"/> every millisecond or so until <paramref name="task"/> completes.</summary>
    public static async Task DriveAsync(this FakeTimeProvider time, Task task, TimeSpan? step = null)
    {
        var watch = Stopwatch.StartNew();
        while (!task.IsCompleted)
        {
            if (watch.Elapsed > RealBound)
            {
                throw new TimeoutException($"Still waiting after {RealBound} of real time ({time.GetUtcNow():HH:mm:ss.fff} fake).");
            }

            time.Advance(step ?? TimeSpan.FromMilliseconds(5));
            await Task.Delay(1);
        }

        await task;
    }

    /// <summary>Advances the clock until <paramref name="condition"/> holds; returns the fake time it took.</summary>
    public static async Task<TimeSpan> DriveUntilAsync(this FakeTimeProvider time, Func<bool> condition, TimeSpan? step = null, TimeSpan? fakeBound = null)
    {
        var watch = Stopwatch.StartNew();
        DateTimeOffset start = time.GetUtcNow();
        while (!condition())
        {
            if (watch.Elapsed > RealBound || (fakeBound is { } bound && time.GetUtcNow() - start > bound))
            {
                throw new TimeoutException($"Condition not met after {time.GetUtcNow() - start} of fake time.");
            }

            time.Advance(step ?? TimeSpan.FromMilliseconds(5));
            await Task.Delay(1);
        }

        return time.GetUtcNow() - start;
    }

    /// <summary>Lets <paramref name="total"/> of fake time pass in steps, giving real I/O a moment after each.</summary>
    public static async Task PassAsync(this FakeTimeProvider time, TimeSpan total, TimeSpan step)
    {
        for (TimeSpan passed = TimeSpan.Zero; passed < total; passed += step)
        {
            time.Advance(step);
            await Task.Delay(2);
        }
    }
}
