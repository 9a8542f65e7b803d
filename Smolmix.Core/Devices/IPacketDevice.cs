namespace Smolmix.Devices;

/// <summary>
/// A point-to-point link that carries raw IP packets (IPv4 or IPv6, no link-layer header).
/// The stack reads inbound packets from it and writes outbound packets to it.
/// </summary>
/// <remarks>
/// Both directions are asynchronous and apply backpressure: <see cref="WriteAsync"/> completes
/// only once the device has room for the packet, and <see cref="ReadAsync"/> waits for the next
/// packet. One reader and one writer may use a device concurrently.
/// </remarks>
public interface IPacketDevice : IAsyncDisposable
{
    /// <summary>The largest IP packet, in bytes, the device carries (header included).</summary>
    int Mtu { get; }

    /// <summary>
    /// Sends one IP packet. The device copies the bytes before the returned task completes or
    /// before it returns synchronously, so the caller may reuse <paramref name="packet"/> at once.
    /// </summary>
    /// <param name="packet">The whole IP packet.</param>
    /// <param name="cancellationToken">Cancels the wait for room.</param>
    /// <exception cref="ObjectDisposedException">The device is closed.</exception>
    ValueTask WriteAsync(ReadOnlyMemory<byte> packet, CancellationToken cancellationToken = default);

    /// <summary>
    /// Receives one IP packet into <paramref name="buffer"/>, waiting until one arrives.
    /// </summary>
    /// <param name="buffer">Where the packet is copied; should hold at least <see cref="Mtu"/> bytes.
    /// A longer packet is truncated to the buffer's length.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The packet's length, or 0 once the device is closed and drained.</returns>
    ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default);
}
