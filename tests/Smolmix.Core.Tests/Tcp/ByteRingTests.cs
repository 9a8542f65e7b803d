using Smolmix.Tcp;

namespace Smolmix.Tests.Tcp;

/// <summary>The byte ring under TCP's buffers: small while idle, a jump on first use, doubling to its cap, data intact across growth and wrap-around, back to small when emptied.</summary>
public sealed class ByteRingTests
{
    [Fact]
    public void Stays_small_until_data_needs_room_then_jumps_to_the_first_growth()
    {
        var ring = new ByteRing(2048, 1 << 20, firstGrowth: 64 * 1024);
        Assert.Equal(2048, ring.Capacity);

        Assert.Equal(1000, ring.Append(new byte[1000]));
        Assert.Equal(2048, ring.Capacity);

        Assert.Equal(2000, ring.Append(new byte[2000]));
        Assert.Equal(64 * 1024, ring.Capacity);
    }

    [Fact]
    public void Grows_by_doubling_to_the_cap_and_keeps_the_bytes_in_order_across_wrap_around()
    {
        var ring = new ByteRing(16, 4096, firstGrowth: 64);
        var expected = new List<byte>();
        var rng = new Random(7);
        int next = 0;
        for (int round = 0; round < 200; round++)
        {
            byte[] chunk = Enumerable.Range(0, rng.Next(1, 50)).Select(_ => (byte)next++).ToArray();
            int added = ring.Append(chunk);
            expected.AddRange(chunk.Take(added));
            next -= chunk.Length - added;
            var read = new byte[rng.Next(0, 40)];
            int n = ring.Read(read);
            Assert.Equal(expected.Take(n), read.Take(n));
            expected.RemoveRange(0, n);
            Assert.Equal(expected.Count, ring.Count);
            Assert.True(ring.Capacity <= 4096);
        }

        Assert.Contains(ring.Capacity, new[] { 64, 128, 256, 512, 1024, 2048, 4096 });
    }

    [Fact]
    public void Shrinks_back_to_the_initial_size_only_when_empty_keeping_its_cap_and_grows_again_intact()
    {
        var ring = new ByteRing(2048, 1 << 20, firstGrowth: 64 * 1024);
        byte[] data = Enumerable.Range(0, 100_000).Select(i => (byte)(i * 13 + 5)).ToArray();
        Assert.Equal(data.Length, ring.Append(data));
        Assert.True(ring.IsGrown);
        int capacity = ring.Capacity;

        // Bytes still readable: nothing is released.
        Assert.Equal(0, ring.ShrinkIfEmpty());
        Assert.Equal(capacity, ring.Capacity);

        var read = new byte[data.Length];
        Assert.Equal(data.Length - 10, ring.Read(read.AsSpan(0, data.Length - 10)));
        Assert.Equal(0, ring.ShrinkIfEmpty());
        Assert.Equal(10, ring.Read(read.AsSpan(data.Length - 10)));
        Assert.Equal(data, read);

        Assert.Equal(capacity - 2048, ring.ShrinkIfEmpty());
        Assert.Equal(2048, ring.Capacity);
        Assert.False(ring.IsGrown);
        Assert.Equal(1 << 20, ring.MaxCapacity);
        Assert.Equal(0, ring.ShrinkIfEmpty());

        // It grows again on demand, up to the same cap, and the bytes (written out of order too) stay in place.
        ring.EnsureCapacity(300_000);
        Assert.True(ring.Capacity >= 300_000);
        ring.WriteAt(200_000, data.AsSpan(0, 1000)); // out of order, past the readable region
        ring.WriteAt(0, data);
        ring.Commit(data.Length);
        var again = new byte[data.Length];
        Assert.Equal(data.Length, ring.Read(again));
        Assert.Equal(data, again);
        var beyond = new byte[1000];
        ring.CopyTo(200_000 - data.Length, beyond);
        Assert.Equal(data.AsSpan(0, 1000).ToArray(), beyond);
    }
}
