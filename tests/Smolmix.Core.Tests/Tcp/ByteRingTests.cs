using Smolmix.Tcp;

namespace Smolmix.Tests.Tcp;

/// <summary>The byte ring under TCP's buffers: small while idle, a jump on first use, doubling to its cap, data intact across growth and wrap-around.</summary>
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
}
