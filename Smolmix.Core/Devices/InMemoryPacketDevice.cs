using System.Runtime.CompilerServices;

namespace Smolmix.Devices;

/// <summary>
/// One end of an <see cref="InMemoryPacketLink"/>. Each direction is a <see cref="PacketQueue"/>; a stack on
/// this device hands packets over and takes them without copies (<see cref="IPooledPacketDevice"/>), while the
/// public <see cref="IPacketDevice"/> calls copy in and out.
/// </summary>
internal sealed class InMemoryPacketDevice : IPacketDevice, IPooledPacketDevice
{
    private readonly PacketQueue _inbound;
    private readonly PacketQueue _outbound;
    private volatile bool _disposed;

    internal InMemoryPacketDevice(int mtu, PacketQueue inbound, PacketQueue outbound)
    {
        Mtu = mtu;
        _inbound = inbound;
        _outbound = outbound;
    }

    /// <inheritdoc />
    public int Mtu { get; }

    /// <inheritdoc />
    public ValueTask WriteAsync(ReadOnlyMemory<byte> packet, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckLength(packet.Length);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        var pooled = PooledPacket.Copy(packet.Span);
        if (_outbound.TryEnqueue(pooled))
        {
            return default;
        }

        return WriteSlowAsync(pooled, cancellationToken);
    }

    /// <inheritdoc />
    public bool TryWritePooled(PooledPacket packet) =>
        !_disposed && packet.Length > 0 && packet.Length <= Mtu && _outbound.TryEnqueue(packet);

    /// <inheritdoc />
    public ValueTask WritePooledAsync(PooledPacket packet, CancellationToken cancellationToken)
    {
        if (_disposed || packet.Length == 0 || packet.Length > Mtu || cancellationToken.IsCancellationRequested)
        {
            int length = packet.Length;
            packet.Return();
            ObjectDisposedException.ThrowIf(_disposed, this);
            CheckLength(length);
            return ValueTask.FromCanceled(cancellationToken);
        }
        if (_outbound.TryEnqueue(packet))
        {
            return default;
        }
        return WriteSlowAsync(packet, cancellationToken);
    }

    private void CheckLength(int length)
    {
        if (length == 0 || length > Mtu)
        {
            throw new ArgumentException($"A packet must be 1..{Mtu} bytes long; this one is {length}.", "packet");
        }
    }

    // Owns the packet: it is either queued or returned to the pool.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteSlowAsync(PooledPacket pooled, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                if (!await _outbound.WaitToEnqueueAsync(cancellationToken).ConfigureAwait(false))
                {
                    throw new ObjectDisposedException(nameof(InMemoryPacketDevice), "The in-memory link is closed.");
                }
                if (_outbound.TryEnqueue(pooled))
                {
                    return;
                }
            }
        }
        catch
        {
            pooled.Return();
            throw;
        }
    }

    /// <inheritdoc />
    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_disposed)
        {
            return new ValueTask<int>(0);
        }

        if (_inbound.TryDequeue(out var pooled))
        {
            return new ValueTask<int>(Deliver(pooled, buffer.Span));
        }

        return ReadSlowAsync(buffer, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadSlowAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (await _inbound.WaitToDequeueAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_disposed)
            {
                return 0;
            }

            if (_inbound.TryDequeue(out var pooled))
            {
                return Deliver(pooled, buffer.Span);
            }
        }

        return 0;
    }

    /// <inheritdoc />
    public bool TryReadPooled(out PooledPacket packet)
    {
        if (_disposed)
        {
            packet = default;
            return false;
        }
        return _inbound.TryDequeue(out packet);
    }

    /// <inheritdoc />
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken) =>
        _disposed ? new ValueTask<bool>(false) : _inbound.WaitToDequeueAsync(cancellationToken);

    private static int Deliver(PooledPacket pooled, Span<byte> destination)
    {
        int n = pooled.CopyTo(destination);
        pooled.Return();
        return n;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return default;
        }

        _disposed = true;
        _outbound.Close();
        _inbound.Close();
        _inbound.DrainAndReturn();
        return default;
    }
}
