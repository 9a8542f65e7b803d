using System.Net.Sockets;
using System.Threading.Channels;
using Smolmix.Tcp;

namespace Smolmix;

/// <summary>Accepts inbound TCP connections on the userspace stack.</summary>
public sealed class TcpStreamListener : IDisposable
{
    private readonly NetStack _stack;
    private readonly Channel<TcpStream> _accepted;
    private int _pending;
    private bool _disposed;
    private volatile bool _closedByStack;

    internal TcpStreamListener(NetStack stack, ushort port, bool anyAddress)
    {
        _stack = stack;
        Port = port;
        AnyAddress = anyAddress;
        _accepted = Channel.CreateBounded<TcpStream>(new BoundedChannelOptions(stack.Options.ListenBacklog) { FullMode = BoundedChannelFullMode.DropWrite });
    }

    /// <summary>The listening port (0 for an any-address listener).</summary>
    public int Port { get; }

    /// <summary>True if this listener accepts connections to any destination.</summary>
    public bool AnyAddress { get; }

    internal bool HasBacklogRoom => !_disposed && !_closedByStack && _pending + _accepted.Reader.Count < _stack.Options.ListenBacklog;

    /// <summary>
    /// True while established connections can still be queued for <see cref="AcceptAsync"/>: the half-open
    /// queue may be full (then SYNs are answered with cookies), the accept queue is not.
    /// </summary>
    internal bool AcceptQueueHasRoom => !_disposed && !_closedByStack && _accepted.Reader.Count < _stack.Options.ListenBacklog;

    /// <summary>Half-open (SYN-RECEIVED) connections held for this listener.</summary>
    internal int HalfOpen => _pending;

    /// <summary>When this listener last answered a SYN with a cookie (stack µs; long.MinValue = never).</summary>
    private long _lastCookieUs = long.MinValue;

    /// <summary>Records a SYN answered with a cookie at <paramref name="nowUs"/>.</summary>
    internal void OnCookieSent(long nowUs) => _lastCookieUs = nowUs;

    /// <summary>True while a cookie this listener sent may still come back (only then are ACKs checked for one).</summary>
    internal bool CookiesActive(long nowUs) => _lastCookieUs != long.MinValue && nowUs - _lastCookieUs <= SynCookie.LifetimeUs;

    internal void OnSyn(TcpConnection c) => _pending++;

    internal void OnConnectionEstablished(TcpConnection c)
    {
        _pending--;
        var s = new TcpStream(_stack, c);
        c.Stream = s;
        if (!_accepted.Writer.TryWrite(s))
        {
            c.Abort();
        }
    }

    internal void OnConnectionFailed(TcpConnection c)
    {
        if (ReferenceEquals(c.Listener, this))
        {
            _pending--;
            c.Listener = null;
        }
    }

    /// <summary>Takes an established connection if one is queued.</summary>
    internal bool TryAccept(out TcpStream stream) => _accepted.Reader.TryRead(out stream!);

    /// <summary>
    /// Waits for the next established connection. Fails with <see cref="ObjectDisposedException"/> once the
    /// listener or its stack is disposed, and with a <see cref="SocketException"/> of
    /// <see cref="SocketError.NetworkDown"/> once the packet device under the stack has closed.
    /// </summary>
    public async ValueTask<TcpStream> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _accepted.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException ex) when (!Volatile.Read(ref _disposed) && ex.InnerException is SocketException se)
        {
            // A fresh exception per waiter: one instance thrown from several awaits would mix their stack traces.
            throw new SocketException((int)se.SocketErrorCode);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(nameof(TcpStreamListener));
        }
    }

    /// <summary>
    /// The stack can no longer take connections (its device closed: <paramref name="error"/> is
    /// <see cref="SocketError.NetworkDown"/>; or it is being disposed: null): every pending and later
    /// <see cref="AcceptAsync"/> fails. Connections queued but not accepted have already failed with the stack
    /// and are dropped. The port stays taken until the listener is disposed. Called under the stack lock.
    /// </summary>
    internal void CloseFromStack(SocketError? error)
    {
        if (_disposed || _closedByStack)
        {
            return;
        }
        _closedByStack = true;
        _accepted.Writer.TryComplete(error is SocketError e ? new SocketException((int)e) : null);
        while (_accepted.Reader.TryRead(out var s))
        {
            if (s.Connection.State != TcpState.Closed)
            {
                s.Connection.FailFromStack(error ?? SocketError.OperationAborted);
            }
        }
    }

    /// <summary>Stops listening; connections not yet accepted are reset.</summary>
    public void Dispose()
    {
        lock (_stack.Sync)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            _stack.RemoveListener(this);
            _accepted.Writer.TryComplete();
            while (_accepted.Reader.TryRead(out var s))
            {
                s.Connection.Abort();
            }
        }
    }
}
