namespace Smolmix.Devices;

/// <summary>
/// A device that takes and hands out <see cref="PooledPacket"/>s, so a packet the stack built goes to the
/// device and on to the reader without being copied (<see cref="IPacketDevice"/> copies on both sides).
/// The stack uses it when the device implements it (the in-memory link).
/// </summary>
/// <remarks>
/// Ownership passes with the packet: what the device accepts it returns to the pool itself (or hands to its
/// reader); what <see cref="TryReadPooled"/> gives out, the caller returns. One writer and one reader at a time,
/// as for <see cref="IPacketDevice"/>.
/// </remarks>
internal interface IPooledPacketDevice
{
    /// <summary>
    /// Hands <paramref name="packet"/> over without waiting. True: the device owns it now. False (no room, or
    /// closed): the caller still owns it. Never blocks, so it may be called under the stack lock.
    /// </summary>
    bool TryWritePooled(PooledPacket packet);

    /// <summary>
    /// Hands <paramref name="packet"/> over, waiting for room. The device owns it from the call on, whatever the
    /// outcome (it returns the buffer if the write fails).
    /// </summary>
    /// <exception cref="ObjectDisposedException">The device is closed.</exception>
    ValueTask WritePooledAsync(PooledPacket packet, CancellationToken cancellationToken);

    /// <summary>Takes the next received packet without waiting; the caller owns it and returns its buffer.</summary>
    bool TryReadPooled(out PooledPacket packet);

    /// <summary>Waits until a packet can be read (true), or the device is closed and drained (false).</summary>
    ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken);
}
