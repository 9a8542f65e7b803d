namespace Smolmix.Devices;

/// <summary>
/// Creates two <see cref="IPacketDevice"/>s connected back to back in memory: what one writes,
/// the other reads. Useful for tests, benchmarks and stack-to-stack simulations.
/// </summary>
public static class InMemoryPacketLink
{
    /// <summary>
    /// Creates a connected pair of devices. Each direction is a bounded queue of
    /// <paramref name="capacity"/> packets; a writer waits when its direction is full.
    /// Disposing either device closes both directions: pending and later reads on the other
    /// device return the packets still queued and then 0; pending and later writes on either
    /// device throw <see cref="ObjectDisposedException"/>.
    /// </summary>
    /// <param name="mtu">The largest packet either device accepts, in bytes.</param>
    /// <param name="capacity">How many packets each direction holds before writers wait.</param>
    /// <returns>The two ends of the link.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="mtu"/> or <paramref name="capacity"/> is not positive.</exception>
    public static (IPacketDevice First, IPacketDevice Second) CreatePair(int mtu = 1420, int capacity = 4096)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(mtu, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        var firstToSecond = new PacketQueue(capacity);
        var secondToFirst = new PacketQueue(capacity);
        return (new InMemoryPacketDevice(mtu, inbound: secondToFirst, outbound: firstToSecond),
                new InMemoryPacketDevice(mtu, inbound: firstToSecond, outbound: secondToFirst));
    }
}
