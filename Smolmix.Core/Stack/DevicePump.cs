using System.Threading.Channels;
using Smolmix.Devices;

namespace Smolmix;

/// <summary>
/// Moves outbound packets from the engine to the device on a writer task. The engine enqueues
/// copies under its lock without blocking; when the queue passes its length limit, TCP holds new data
/// back (<see cref="HasRoom"/>) until the writer drains it below half.
/// </summary>
internal sealed class DevicePump : Stack.IPacketOutput, IAsyncDisposable
{
    private readonly IPacketDevice _device;
    private readonly int _limit;
    private readonly Channel<(byte[] Buffer, int Length)> _queue =
        Channel.CreateUnbounded<(byte[], int)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private int _count;
    private volatile bool _full;
    private NetStack? _stack;
    private Task? _writer;

    public DevicePump(IPacketDevice device, int limit)
    {
        _device = device;
        _limit = limit;
    }

    public bool HasRoom => Volatile.Read(ref _count) < _limit;

    public void Attach(NetStack stack)
    {
        _stack = stack;
        _writer = Task.Run(WriteLoopAsync);
    }

    public void Send(ReadOnlySpan<byte> packet)
    {
        if (Volatile.Read(ref _count) >= _limit * 2)
        {
            // Hard cap: control packets beyond twice the limit are dropped (counted by the caller's retransmission).
            _stack?.Metrics.Drop(Wire.DropReason.DeviceQueueFull);
            return;
        }
        byte[] buf = PacketBuffers.Rent(packet.Length);
        packet.CopyTo(buf);
        if (Interlocked.Increment(ref _count) >= _limit)
        {
            _full = true;
        }
        if (!_queue.Writer.TryWrite((buf, packet.Length)))
        {
            Interlocked.Decrement(ref _count);
            PacketBuffers.Return(buf);
        }
    }

    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                while (reader.TryRead(out var item))
                {
                    try
                    {
                        await _device.WriteAsync(item.Buffer.AsMemory(0, item.Length), _stop.Token).ConfigureAwait(false);
                    }
                    finally
                    {
                        PacketBuffers.Return(item.Buffer);
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
        _queue.Writer.TryComplete();
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
        _stop.Dispose();
    }
}
