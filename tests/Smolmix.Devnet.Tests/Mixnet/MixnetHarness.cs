using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Smolmix.Devnet.Mixnet;
using Smolmix.Devnet.NymClientApi;
using Smolmix.Devnet.Timing;
using Smolmix.Nym;

namespace Smolmix.Devnet.Tests.Mixnet;

/// <summary>A <see cref="MixnetModel"/> on a fake clock with recording endpoints.</summary>
internal sealed class MixnetHarness : IDisposable
{
    public MixnetHarness(MixnetOptions options, int seed = 42)
    {
        Time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Scheduler = new EventScheduler(Time, NullLogger.Instance);
        Model = new MixnetModel(options, Scheduler, new Random(seed), NullLogger.Instance);
        Keys = new NymKeyFactory(new Random(seed + 1));
        Gateway = Keys.NewEd25519PublicKey();
    }

    public FakeTimeProvider Time { get; }

    public EventScheduler Scheduler { get; }

    public MixnetModel Model { get; }

    public NymKeyFactory Keys { get; }

    public byte[] Gateway { get; }

    public Endpoint Add(TimeSpan? sendingInterval)
    {
        var endpoint = new Endpoint(Keys.NewAddress(Gateway));
        Model.Register(endpoint, sendingInterval);
        return endpoint;
    }

    /// <summary>Moves the clock forward in steps, letting every due event run after each step.</summary>
    public async Task RunAsync(TimeSpan duration, TimeSpan? step = null)
    {
        TimeSpan stride = step ?? TimeSpan.FromMilliseconds(1);
        await SettleAsync();
        for (TimeSpan elapsed = TimeSpan.Zero; elapsed < duration; elapsed += stride)
        {
            Time.Advance(stride);
            await SettleAsync();
        }
    }

    public async Task SettleAsync()
    {
        // The scheduler drains on a pool thread: yield first (fast when the machine is idle), then wait in
        // 1 ms steps, bounded by wall time rather than a count, so a loaded machine cannot fail the test.
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        for (int i = 0; Scheduler.IsDraining && System.Diagnostics.Stopwatch.GetElapsedTime(start) < TimeSpan.FromSeconds(30); i++)
        {
            if (i < 1_000)
            {
                await Task.Yield();
            }
            else
            {
                await Task.Delay(1);
            }
        }

        Assert.False(Scheduler.IsDraining, "the scheduler did not settle");
    }

    public void Dispose() => Scheduler.Dispose();

    internal sealed class Endpoint(NymAddress address) : IMixnetEndpoint
    {
        public NymAddress Address { get; } = address;

        public ConcurrentQueue<MixnetDelivery> Received { get; } = new();

        public void Deliver(MixnetDelivery delivery) => Received.Enqueue(delivery);
    }
}
