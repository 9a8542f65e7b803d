using System.Threading.Channels;

namespace Smolmix.Devices;

/// <summary>One end of an <see cref="InMemoryPacketLink"/>.</summary>
internal sealed class InMemoryPacketDevice : IPacketDevice
{
    private readonly Channel<PooledPacket> _inbound;
    private readonly Channel<PooledPacket> _outbound;
    private volatile bool _disposed;

    internal InMemoryPacketDevice(int mtu, Channel<PooledPacket> inbound, Channel<PooledPacket> outbound)
    {
        Mtu = mtu;
        _inbound = inbound;
        _outbound = outbound;
    }

    /// <inheritdoc />
    public int Mtu { get; }

    internal static Channel<PooledPacket> CreateQueue(int capacity) =>
        Channel.CreateBounded<PooledPacket>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = true,
            AllowSynchronousContinuations = false,
        });

    /// <inheritdoc />
    public ValueTask WriteAsync(ReadOnlyMemory<byte> packet, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (packet.Length == 0 || packet.Length > Mtu)
        {
            throw new ArgumentException($"A packet must be 1..{Mtu} bytes long; this one is {packet.Length}.", nameof(packet));
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        var pooled = PooledPacket.Copy(packet.Span);
        if (_outbound.Writer.TryWrite(pooled))
        {
            return default;
        }

        return WriteSlowAsync(pooled, cancellationToken);
    }

    private async ValueTask WriteSlowAsync(PooledPacket pooled, CancellationToken cancellationToken)
    {
        try
        {
            await _outbound.Writer.WriteAsync(pooled, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            pooled.Return();
            throw new ObjectDisposedException(nameof(InMemoryPacketDevice), "The in-memory link is closed.");
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

        if (_inbound.Reader.TryRead(out var pooled))
        {
            return new ValueTask<int>(Deliver(pooled, buffer.Span));
        }

        return ReadSlowAsync(buffer, cancellationToken);
    }

    private async ValueTask<int> ReadSlowAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (await _inbound.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_disposed)
            {
                return 0;
            }

            if (_inbound.Reader.TryRead(out var pooled))
            {
                return Deliver(pooled, buffer.Span);
            }
        }

        return 0;
    }

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
        _outbound.Writer.TryComplete();
        _inbound.Writer.TryComplete();
        Drain(_inbound);
        return default;
    }

    private static void Drain(Channel<PooledPacket> queue)
    {
        while (queue.Reader.TryRead(out var pooled))
        {
            pooled.Return();
        }
    }
}
