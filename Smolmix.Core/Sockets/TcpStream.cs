using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Smolmix.Tcp;

namespace Smolmix;

/// <summary>
/// A TCP connection of the userspace stack as a <see cref="System.IO.Stream"/>. Reads and writes may
/// run concurrently (one of each at a time). Writes go out without <see cref="Flush"/>; a zero-byte
/// read waits for data and returns 0; end of stream (the peer's FIN) reads as 0. A reset surfaces as
/// an <see cref="IOException"/> wrapping a <see cref="SocketException"/> (<see cref="SocketError.ConnectionReset"/>,
/// <see cref="SocketError.TimedOut"/>, ...). <see cref="Stream.Dispose()"/> closes gracefully in the background.
/// </summary>
public sealed class TcpStream : Stream
{
    private readonly NetStack _stack;
    private readonly AsyncSignal _signal = new();
    // One reusable waiter for reads and one for writes (a stream runs one of each at a time), made at the first
    // wait (an idle connection does without); an operation that finds its waiter taken (concurrent reads,
    // against the Stream contract) uses a fresh one.
    private ReusableWaiter? _readWaiter;
    private ReusableWaiter? _writeWaiter;
    private int _disposed;

    internal TcpStream(NetStack stack, TcpConnection connection)
    {
        _stack = stack;
        Connection = connection;
        LocalEndPoint = new IPEndPoint(connection.Id.LocalAddress.ToIPAddress(), connection.Id.LocalPort);
        RemoteEndPoint = new IPEndPoint(connection.Id.RemoteAddress.ToIPAddress(), connection.Id.RemotePort);
    }

    internal TcpConnection Connection { get; }

    /// <summary>The local address and port.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The peer's address and port.</summary>
    public IPEndPoint RemoteEndPoint { get; }

    /// <inheritdoc/>
    public override bool CanRead => Volatile.Read(ref _disposed) == 0;

    /// <inheritdoc/>
    public override bool CanWrite => Volatile.Read(ref _disposed) == 0;

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>Called by the engine (under its lock) when anything changed.</summary>
    internal void Signal() => _signal.Set();

    internal async Task WaitConnectedAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (_stack.Sync)
            {
                if (Connection.IsSynchronized)
                {
                    return;
                }
                if (Connection.State == TcpState.Closed)
                {
                    throw new SocketException((int)(Connection.Error == SocketError.Success ? SocketError.ConnectionAborted : Connection.Error));
                }
                wait = _signal.WaitTask;
            }
            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    }

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer)
    {
        while (true)
        {
            Task wait;
            lock (_stack.Sync)
            {
                if (TryReadLocked(buffer, out int n))
                {
                    return n;
                }
                wait = _signal.WaitTask;
            }
            wait.GetAwaiter().GetResult();
        }
    }

    // Under the lock: completes a read if data, EOF or an error is at hand; false when it must wait.
    private bool TryReadLocked(Span<byte> buffer, out int read)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var c = Connection;
        read = 0;
        if (c.Readable > 0)
        {
            read = buffer.Length == 0 ? 0 : c.Read(buffer);
            return true;
        }
        if (c.ReceiveClosed)
        {
            return true;
        }
        if (c.State == TcpState.Closed)
        {
            if (c.Error == SocketError.Success)
            {
                return true;
            }
            throw Failure(c.Error);
        }
        return false;
    }

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The returned <see cref="ValueTask{TResult}"/> comes from a pool and waits without allocating: await it
    /// once (or call AsTask once), as for <see cref="System.Net.Sockets.NetworkStream"/>.
    /// </remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ReusableWaiter? waiter = null;
        try
        {
            while (true)
            {
                ValueTask<bool> wait;
                lock (_stack.Sync)
                {
                    if (TryReadLocked(buffer.Span, out int n))
                    {
                        return n;
                    }
                    cancellationToken.ThrowIfCancellationRequested();
                    waiter ??= TakeWaiter(ref _readWaiter);
                    wait = _signal.WaitAsync(waiter, cancellationToken);
                }
                await wait.ConfigureAwait(false);
            }
        }
        finally
        {
            // Only after the last await: the waiter is free for the next operation.
            waiter?.Release();
        }
    }

    // The stream's own waiter, or a fresh one when another operation holds it (a fresh one is simply dropped).
    private static ReusableWaiter TakeWaiter(ref ReusableWaiter? slot)
    {
        var own = Volatile.Read(ref slot) ?? Interlocked.CompareExchange(ref slot, new ReusableWaiter(), null) ?? slot!;
        if (own.TryAcquire())
        {
            return own;
        }
        var fresh = new ReusableWaiter();
        fresh.TryAcquire();
        return fresh;
    }

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    }

    /// <inheritdoc/>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (true)
        {
            Task wait;
            lock (_stack.Sync)
            {
                if (TryWriteLocked(ref buffer))
                {
                    return;
                }
                wait = _signal.WaitTask;
            }
            wait.GetAwaiter().GetResult();
        }
    }

    // Under the lock: queues as much as fits; true once everything is queued.
    private bool TryWriteLocked(ref ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var c = Connection;
        if (c.State == TcpState.Closed)
        {
            throw Failure(c.Error == SocketError.Success ? SocketError.Shutdown : c.Error);
        }
        if (!c.IsSynchronized && c.State != TcpState.SynReceived)
        {
            throw Failure(SocketError.NotConnected);
        }
        if (c.State is TcpState.FinWait1 or TcpState.FinWait2 or TcpState.Closing or TcpState.LastAck or TcpState.TimeWait)
        {
            throw new IOException("The stream was shut down for writing.", new SocketException((int)SocketError.Shutdown));
        }
        if (buffer.IsEmpty)
        {
            return true;
        }
        int n = c.Write(buffer);
        buffer = buffer[n..];
        return buffer.IsEmpty;
    }

    /// <inheritdoc/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The returned <see cref="ValueTask"/> comes from a pool and waits without allocating: await it once
    /// (or call AsTask once).
    /// </remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ReusableWaiter? waiter = null;
        try
        {
            while (true)
            {
                ValueTask<bool> wait;
                lock (_stack.Sync)
                {
                    var span = buffer.Span;
                    int before = span.Length;
                    bool done = TryWriteLocked(ref span);
                    buffer = buffer[(before - span.Length)..];
                    if (done)
                    {
                        return;
                    }
                    cancellationToken.ThrowIfCancellationRequested();
                    waiter ??= TakeWaiter(ref _writeWaiter);
                    wait = _signal.WaitAsync(waiter, cancellationToken);
                }
                await wait.ConfigureAwait(false);
            }
        }
        finally
        {
            waiter?.Release();
        }
    }

    /// <summary>No-op: data is sent as soon as the windows allow.</summary>
    public override void Flush()
    {
    }

    /// <summary>No-op: data is sent as soon as the windows allow.</summary>
    public override Task FlushAsync(CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested ? Task.FromCanceled(cancellationToken) : Task.CompletedTask;

    /// <summary>Half-close: sends FIN after the queued data; reading continues until the peer's FIN.</summary>
    public void ShutdownWrite()
    {
        lock (_stack.Sync)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            Connection.ShutdownWrite();
        }
    }

    /// <summary>Aborts the connection with a RST; pending and later calls fail.</summary>
    public void Abort()
    {
        lock (_stack.Sync)
        {
            if (Connection.State != TcpState.Closed)
            {
                Connection.Abort();
            }
            Interlocked.Exchange(ref _disposed, 1);
            _signal.Set();
        }
    }

    /// <summary>
    /// Waits until everything written has been acknowledged by the peer (or the connection fails).
    /// </summary>
    public async Task WaitForSendCompletionAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        while (true)
        {
            Task wait;
            lock (_stack.Sync)
            {
                var c = Connection;
                if (c.UnacknowledgedBytes == 0)
                {
                    return;
                }
                if (c.State == TcpState.Closed)
                {
                    throw Failure(c.Error == SocketError.Success ? SocketError.Shutdown : c.Error);
                }
                wait = _signal.WaitTask;
            }
            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            lock (_stack.Sync)
            {
                if (Connection.State != TcpState.Closed)
                {
                    Connection.Close();
                }
                _signal.Set();
            }
        }
        base.Dispose(disposing);
    }

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    private static IOException Failure(SocketError error)
    {
        var se = new SocketException((int)error);
        return new IOException($"The connection failed: {se.Message}", se);
    }
}
