using System.Net;
using System.Net.Sockets;
using Smolmix.Wire;

namespace Smolmix;

/// <summary>
/// A UDP socket of the userspace stack. Received datagrams wait in a bounded queue (overflow is
/// dropped and counted). An ICMP port-unreachable for a datagram this socket sent fails the next
/// receive with <see cref="SocketError.ConnectionRefused"/>.
/// </summary>
public sealed class UdpSocket : IDisposable
{
    private readonly NetStack _stack;
    private readonly Queue<(byte[] Data, IpAddr Src, ushort SrcPort, IpAddr Dst, ushort DstPort)> _queue = new();
    private readonly AsyncSignal _signal = new();
    private SocketError _pendingError;
    private bool _disposed;

    internal UdpSocket(NetStack stack, ushort port, bool anyAddress)
    {
        _stack = stack;
        Port = port;
        AnyAddress = anyAddress;
    }

    /// <summary>The bound local port (0 for an any-address socket).</summary>
    public int Port { get; }

    /// <summary>True if this socket receives datagrams for every destination.</summary>
    public bool AnyAddress { get; }

    /// <summary>Datagrams dropped because the queue was full.</summary>
    public long DroppedDatagrams { get; private set; }

    internal void Enqueue(ReadOnlySpan<byte> payload, in IpAddr src, ushort srcPort, in IpAddr dst, ushort dstPort)
    {
        if (_disposed)
        {
            return;
        }
        if (_queue.Count >= _stack.Options.UdpReceiveQueueLength)
        {
            DroppedDatagrams++;
            _stack.Metrics.Drop(DropReason.QueueFull);
            return;
        }
        _queue.Enqueue((payload.ToArray(), src, srcPort, dst, dstPort));
        _signal.Set();
    }

    internal void OnError(SocketError error)
    {
        _pendingError = error;
        _signal.Set();
    }

    /// <summary>Sends one datagram to <paramref name="remote"/>.</summary>
    /// <exception cref="SocketException"><see cref="SocketError.MessageSize"/> when it cannot fit the MTU.</exception>
    public ValueTask SendToAsync(ReadOnlyMemory<byte> data, IPEndPoint remote, CancellationToken cancellationToken = default)
        => SendToAsync(data, remote, null, cancellationToken);

    /// <summary>
    /// Sends one datagram to <paramref name="remote"/> from <paramref name="source"/> (any-address sockets
    /// answer from the address the peer used; null = the interface address and this socket's port).
    /// </summary>
    public ValueTask SendToAsync(ReadOnlyMemory<byte> data, IPEndPoint remote, IPEndPoint? source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(remote);
        cancellationToken.ThrowIfCancellationRequested();
        if (remote.Port is <= 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(remote), "Invalid port.");
        }
        ObjectDisposedException.ThrowIf(_disposed, this);
        _stack.SendUdp(this, data.Span, remote, source);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Waits for the next datagram and copies it into <paramref name="buffer"/>; a datagram longer than
    /// the buffer is cut and reported with <see cref="UdpReceiveFromResult.Truncated"/>.
    /// </summary>
    public async ValueTask<UdpReceiveFromResult> ReceiveFromAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Task wait;
            lock (_stack.Sync)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_pendingError != SocketError.Success)
                {
                    var e = _pendingError;
                    _pendingError = SocketError.Success;
                    throw new SocketException((int)e);
                }
                if (_queue.TryDequeue(out var d))
                {
                    int n = Math.Min(d.Data.Length, buffer.Length);
                    d.Data.AsSpan(0, n).CopyTo(buffer.Span);
                    return new UdpReceiveFromResult(n, new IPEndPoint(d.Src.ToIPAddress(), d.SrcPort), new IPEndPoint(d.Dst.ToIPAddress(), d.DstPort), n < d.Data.Length);
                }
                wait = _signal.WaitTask;
            }
            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Unbinds the socket; pending receives fail with <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        lock (_stack.Sync)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            _stack.RemoveUdp(this);
            _queue.Clear();
            _signal.Set();
        }
    }

    internal void CloseFromStack()
    {
        _disposed = true;
        _signal.Set();
    }
}
