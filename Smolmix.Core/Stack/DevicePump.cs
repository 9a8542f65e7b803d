using Smolmix.Devices;

namespace Smolmix;

/// <summary>
/// Moves outbound packets from the engine to the device. The engine hands packets over under its lock without
/// blocking, built in pooled buffers whose ownership passes with them (no copy). A device that takes pooled
/// packets (<see cref="IPooledPacketDevice"/>, the in-memory link) gets each one directly when it has room and
/// nothing of ours is waiting; otherwise the packet waits in the pump's queue for the writer task. When that
/// queue passes its length limit, TCP holds new data back (<see cref="HasRoom"/>) until the writer drains it
/// below half.
/// </summary>
/// <remarks>
/// Buffer ownership: a packet given to <see cref="SendPooled"/> belongs to the pump. It goes to the device (which
/// then owns it), or to the queue (the writer takes it out and passes it on, or returns it after a copying
/// device's write), or back to the pool when dropped. <see cref="DisposeAsync"/> returns what is left queued.
/// </remarks>
internal sealed class DevicePump : Stack.IPacketOutput, IAsyncDisposable
{
    private readonly IPacketDevice _device;
    private readonly IPooledPacketDevice? _pooled;
    private readonly int _limit;
    private readonly PacketQueue _queue;
    private readonly CancellationTokenSource _stop = new();
    // Packets accepted into the queue and not yet written to the device (queued, or being written).
    private int _count;
    private volatile bool _full;
    private NetStack? _stack;
    private Task? _writer;

    public DevicePump(IPacketDevice device, int limit)
    {
        _device = device;
        _pooled = device as IPooledPacketDevice;
        _limit = limit;
        // Send drops packets beyond twice the limit, so the queue never fills before that.
        _queue = new PacketQueue(limit * 2);
    }

    public bool HasRoom => Volatile.Read(ref _count) < _limit;

    public void Attach(NetStack stack)
    {
        _stack = stack;
        _writer = Task.Run(WriteLoopAsync);
    }

    public void Send(ReadOnlySpan<byte> packet)
    {
        byte[] buf = PacketBuffers.Rent(packet.Length);
        packet.CopyTo(buf);
        SendPooled(new PooledPacket(buf, packet.Length));
    }

    public void SendPooled(PooledPacket packet)
    {
        if (_queue.IsClosed)
        {
            packet.Return();
            return;
        }
        // Nothing of ours is queued or being written, so handing the packet straight to the device keeps the
        // order (Send runs under the stack lock: one caller at a time; the writer only lowers _count).
        if (_pooled is not null && Volatile.Read(ref _count) == 0 && _pooled.TryWritePooled(packet))
        {
            return;
        }
        if (Volatile.Read(ref _count) >= _limit * 2)
        {
            // Hard cap: control packets beyond twice the limit are dropped (counted by the caller's retransmission).
            _stack?.Metrics.Drop(Wire.DropReason.DeviceQueueFull);
            packet.Return();
            return;
        }
        if (Interlocked.Increment(ref _count) >= _limit)
        {
            _full = true;
        }
        if (!_queue.TryEnqueue(packet))
        {
            Interlocked.Decrement(ref _count);
            packet.Return();
        }
    }

    private async Task WriteLoopAsync()
    {
        var token = _stop.Token;
        try
        {
            while (await _queue.WaitToDequeueAsync(token).ConfigureAwait(false))
            {
                while (_queue.TryDequeue(out var packet))
                {
                    if (_pooled is not null)
                    {
                        // The device owns the packet from here, whatever happens.
                        await _pooled.WritePooledAsync(packet, token).ConfigureAwait(false);
                    }
                    else
                    {
                        try
                        {
                            await _device.WriteAsync(packet.Memory, token).ConfigureAwait(false);
                        }
                        finally
                        {
                            packet.Return(); // the device copied it (IPacketDevice.WriteAsync's contract)
                        }
                    }
                    int c = Interlocked.Decrement(ref _count);
                    if (_full && c <= _limit / 2)
                    {
                        _full = false;
                        _stack?.OnOutputRoom();
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // The device failed or was disposed under the stack: count it and fail every socket at once.
            _stack?.OnDeviceWriteFailed(ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Close();
        if (_writer is not null)
        {
            // Let queued packets (a final FIN or RST) reach the device, briefly.
            await Task.WhenAny(_writer, Task.Delay(TimeSpan.FromMilliseconds(500))).ConfigureAwait(false);
        }
        _stop.Cancel();
        if (_writer is not null)
        {
            await Task.WhenAny(_writer, Task.Delay(TimeSpan.FromSeconds(2))).ConfigureAwait(false);
        }
        _queue.DrainAndReturn();
        _stop.Dispose();
    }
}
