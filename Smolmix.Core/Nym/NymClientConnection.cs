using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Smolmix.Diagnostics;

namespace Smolmix.Nym;

/// <summary>
/// A connection to a nym-client daemon's WebSocket API, speaking binary frames only. Mixnet
/// messages arrive on <see cref="Received"/>; nym-client's other answers (self address, lane
/// queue lengths, errors) are separated out. When the WebSocket drops, the connection reconnects
/// with exponential backoff; sends made meanwhile wait (bounded by
/// <see cref="NymClientConnectionOptions.SendTimeout"/>) and then go out on the new socket.
/// The backoff restarts only once a socket has carried a well-formed nym-client message: an
/// endpoint that accepts the upgrade and then sends garbage (or closes) counts as a failed attempt,
/// so it cannot cause a reconnect storm. Repeated warnings are rate-limited (one line per
/// <see cref="LogRateLimiter.DefaultInterval"/> with a count).
/// </summary>
/// <remarks>
/// Messages sent on a socket that dies may be lost or, when a send is retried after a failure,
/// delivered twice; the mixnet is a datagram service and the layers above tolerate both.
/// </remarks>
internal sealed class NymClientConnection : IAsyncDisposable
{
    private const int ReceiveChunkSize = 64 * 1024;

    private readonly NymClientConnectionOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly Channel<NymClientResponse.Received> _received;
    private readonly Channel<NymClientResponse.Error> _errors;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Lock _gate = new();
    private readonly Dictionary<ulong, List<TaskCompletionSource<ulong>>> _laneWaiters = [];
    private readonly ConcurrentDictionary<ulong, ulong> _laneQueueLengths = new();

    private TaskCompletionSource<WebSocket> _socketReady = NewSocketSource();
    private WebSocket? _socket;
    private NymAddress? _selfAddress;
    private TaskCompletionSource<NymAddress>? _selfAddressPending;
    private NymClientConnectionState _state = NymClientConnectionState.Connected;
    private Task _run = Task.CompletedTask;
    private int _reconnectCount;
    private int _consecutiveFailures;
    private int _socketHealthy;
    private int _everHealthy;
    private int _disposed;
    private readonly NymClientLogLimits _limits;

    private NymClientConnection(NymClientConnectionOptions options, TimeProvider timeProvider, ILogger logger)
    {
        _options = options;
        _time = timeProvider;
        _logger = logger;
        _limits = options.LogLimits ?? new NymClientLogLimits(timeProvider);
        _received = Channel.CreateBounded<NymClientResponse.Received>(new BoundedChannelOptions(options.ReceiveQueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleWriter = true,
        });
        _errors = Channel.CreateBounded<NymClientResponse.Error>(new BoundedChannelOptions(64)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleWriter = true,
        });
    }

    /// <summary>Mixnet messages delivered by nym-client, in arrival order. Completes when the connection fails or is disposed.</summary>
    public ChannelReader<NymClientResponse.Received> Received => _received.Reader;

    /// <summary>Error responses from nym-client (the most recent 64 are kept).</summary>
    public ChannelReader<NymClientResponse.Error> Errors => _errors.Reader;

    /// <summary>The current state.</summary>
    public NymClientConnectionState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    /// <summary>How many times the WebSocket has been re-established.</summary>
    public int ReconnectCount => Volatile.Read(ref _reconnectCount);

    /// <summary>Whether any socket of this connection has carried a well-formed nym-client message.</summary>
    public bool HasSpokenProtocol => Volatile.Read(ref _everHealthy) != 0;

    /// <summary>Reconnection attempts since the last socket that carried a well-formed message (drives the backoff).</summary>
    public int ConsecutiveFailures => Volatile.Read(ref _consecutiveFailures);

    /// <summary>
    /// Opens the WebSocket to nym-client (one attempt, bounded by
    /// <see cref="NymClientConnectionOptions.ConnectTimeout"/>) and starts receiving.
    /// </summary>
    /// <exception cref="TimeoutException">nym-client did not accept the connection in time.</exception>
    public static async Task<NymClientConnection> ConnectAsync(
        NymClientConnectionOptions? options = null,
        TimeProvider? timeProvider = null,
        ILogger? logger = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new NymClientConnectionOptions();
        options.Validate();
        var connection = new NymClientConnection(options, timeProvider ?? TimeProvider.System, logger ?? NullLogger.Instance);
        WebSocket socket = await connection.OpenSocketAsync(cancellationToken).ConfigureAwait(false);
        connection.Publish(socket);
        connection._run = connection.RunAsync(socket);
        return connection;
    }

    /// <summary>The delay before reconnection attempt <paramref name="attempt"/> (0-based): doubling from <paramref name="initial"/>, capped at <paramref name="max"/>.</summary>
    internal static TimeSpan GetReconnectDelay(int attempt, TimeSpan initial, TimeSpan max)
    {
        double factor = Math.Pow(2, Math.Min(attempt, 30));
        double ticks = Math.Min(initial.Ticks * factor, max.Ticks);
        return TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>Asks nym-client for its own Nym address (cached until the WebSocket reconnects).</summary>
    /// <exception cref="TimeoutException">No answer within <see cref="NymClientConnectionOptions.RequestTimeout"/>.</exception>
    public async Task<NymAddress> GetSelfAddressAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        TaskCompletionSource<NymAddress> pending;
        bool send = false;
        lock (_gate)
        {
            if (_selfAddress is { } known)
            {
                return known;
            }

            if (_selfAddressPending is null)
            {
                _selfAddressPending = new TaskCompletionSource<NymAddress>(TaskCreationOptions.RunContinuationsAsynchronously);
                send = true;
            }

            pending = _selfAddressPending;
        }

        try
        {
            if (send)
            {
                await SendFrameAsync(new NymClientRequest.SelfAddress().ToArray(), cancellationToken).ConfigureAwait(false);
            }

            return await pending.Task.WaitAsync(_options.RequestTimeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!pending.Task.IsCompletedSuccessfully)
        {
            lock (_gate)
            {
                if (_selfAddressPending == pending)
                {
                    _selfAddressPending = null;
                }
            }

            throw;
        }
    }

    /// <summary>
    /// Sends a repliable message: nym-client attaches its sender tag for <paramref name="recipient"/>
    /// and <paramref name="replySurbs"/> reply SURBs. This is how IPR traffic (v8 and later) is sent.
    /// </summary>
    /// <param name="recipient">The destination.</param>
    /// <param name="message">The payload.</param>
    /// <param name="replySurbs">Reply SURBs to attach.</param>
    /// <param name="connectionId">Lane id; 0 means the general lane. A non-zero lane makes nym-client report its queue length.</param>
    /// <param name="cancellationToken">Cancels the wait for a usable socket.</param>
    public ValueTask SendAnonymousAsync(NymAddress recipient, ReadOnlyMemory<byte> message, uint replySurbs, ulong connectionId = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        var frame = new byte[NymClientRequest.SendAnonymousHeaderLength + message.Length];
        int header = NymClientRequest.WriteSendAnonymousHeader(frame, recipient, replySurbs, connectionId, message.Length);
        message.Span.CopyTo(frame.AsSpan(header));
        return SendFrameAsync(frame, cancellationToken);
    }

    /// <summary>Sends a regular (non-repliable) message, which reveals nothing the recipient can reply to.</summary>
    /// <param name="recipient">The destination.</param>
    /// <param name="message">The payload.</param>
    /// <param name="connectionId">Lane id; 0 means the general lane.</param>
    /// <param name="cancellationToken">Cancels the wait for a usable socket.</param>
    public ValueTask SendAsync(NymAddress recipient, ReadOnlyMemory<byte> message, ulong connectionId = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        return SendFrameAsync(new NymClientRequest.Send(recipient, message, connectionId).ToArray(), cancellationToken);
    }

    /// <summary>Replies to an anonymous sender through the SURBs it attached.</summary>
    /// <param name="senderTag">The tag of the message being answered.</param>
    /// <param name="message">The payload.</param>
    /// <param name="connectionId">Lane id; 0 means the general lane.</param>
    /// <param name="cancellationToken">Cancels the wait for a usable socket.</param>
    public ValueTask ReplyAsync(SenderTag senderTag, ReadOnlyMemory<byte> message, ulong connectionId = 0, CancellationToken cancellationToken = default)
        => SendFrameAsync(new NymClientRequest.Reply(senderTag, message, connectionId).ToArray(), cancellationToken);

    /// <summary>Tells nym-client that a lane is no longer used.</summary>
    /// <param name="connectionId">The lane id.</param>
    /// <param name="cancellationToken">Cancels the wait for a usable socket.</param>
    public ValueTask CloseLaneAsync(ulong connectionId, CancellationToken cancellationToken = default)
        => SendFrameAsync(new NymClientRequest.ClosedConnection(connectionId).ToArray(), cancellationToken);

    /// <summary>Asks nym-client how many messages are queued on a lane.</summary>
    /// <exception cref="TimeoutException">No answer within <see cref="NymClientConnectionOptions.RequestTimeout"/>.</exception>
    public async Task<ulong> GetLaneQueueLengthAsync(ulong connectionId, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var waiter = new TaskCompletionSource<ulong>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (!_laneWaiters.TryGetValue(connectionId, out List<TaskCompletionSource<ulong>>? list))
            {
                _laneWaiters[connectionId] = list = [];
            }

            list.Add(waiter);
        }

        try
        {
            await SendFrameAsync(new NymClientRequest.GetLaneQueueLength(connectionId).ToArray(), cancellationToken).ConfigureAwait(false);
            return await waiter.Task.WaitAsync(_options.RequestTimeout, _time, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (_gate)
            {
                if (_laneWaiters.TryGetValue(connectionId, out List<TaskCompletionSource<ulong>>? list) && list.Remove(waiter) && list.Count == 0)
                {
                    _laneWaiters.Remove(connectionId);
                }
            }
        }
    }

    /// <summary>The queue length nym-client last reported for a lane (plus what was noted since), if any.</summary>
    public bool TryGetLastLaneQueueLength(ulong connectionId, out ulong queueLength) => _laneQueueLengths.TryGetValue(connectionId, out queueLength);

    /// <summary>
    /// Adds <paramref name="packets"/> to the length last seen for a lane, for a message just sent on it: nym-client
    /// reports the new length only later, and a sender that trusted the old one could queue several long messages
    /// over its limit in the meantime. The next report replaces the estimate.
    /// </summary>
    public void NoteQueued(ulong connectionId, int packets)
    {
        if (connectionId != 0 && packets > 0)
        {
            _laneQueueLengths.AddOrUpdate(connectionId, (ulong)packets, (_, known) => known + (ulong)packets);
        }
    }

    /// <summary>Closes the WebSocket (bounded by <see cref="NymClientConnectionOptions.CloseTimeout"/>) and stops receiving.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        WebSocket? socket;
        lock (_gate)
        {
            socket = _socket;
            _state = NymClientConnectionState.Disposed;
        }

        if (socket is { State: WebSocketState.Open })
        {
            using var closeTimeout = new CancellationTokenSource(_options.CloseTimeout, _time);
            try
            {
                await _sendLock.WaitAsync(closeTimeout.Token).ConfigureAwait(false);
                try
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "closing", closeTimeout.Token).ConfigureAwait(false);
                }
                finally
                {
                    _sendLock.Release();
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
            {
                NymClientLog.CloseUnclean(_logger, ex);
            }
        }

        await _lifetime.CancelAsync().ConfigureAwait(false);
        socket?.Abort();
        try
        {
            await _run.WaitAsync(_options.CloseTimeout, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            NymClientLog.ReceiveLoopStuck(_logger, _options.CloseTimeout);
        }

        socket?.Dispose();
        FailPending(new ObjectDisposedException(nameof(NymClientConnection)));
        _received.Writer.TryComplete();
        _errors.Writer.TryComplete();
    }

    private static TaskCompletionSource<WebSocket> NewSocketSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static async ValueTask<WebSocket> ConnectClientWebSocketAsync(Uri endpoint, TimeSpan keepAlive, System.Net.IWebProxy? proxy, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = keepAlive;

        // Never follow HTTP_PROXY / ALL_PROXY or the system proxy: without an explicit proxy the
        // connection to nym-client goes exactly where it is told.
        socket.Options.Proxy = proxy;
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task<WebSocket> OpenSocketAsync(CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_options.ConnectTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token, _lifetime.Token);
        try
        {
            return _options.WebSocketFactory is { } factory
                ? await factory(_options.Endpoint, linked.Token).ConfigureAwait(false)
                : await ConnectClientWebSocketAsync(_options.Endpoint, _options.KeepAliveInterval, _options.Proxy, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested && !_lifetime.IsCancellationRequested)
        {
            throw new TimeoutException($"Connecting to nym-client at {_options.Endpoint} timed out after {_options.ConnectTimeout}.");
        }
    }

    private async Task RunAsync(WebSocket socket)
    {
        CancellationToken lifetime = _lifetime.Token;
        try
        {
            while (true)
            {
                Volatile.Write(ref _socketHealthy, 0);
                await ReceiveLoopAsync(socket, lifetime).ConfigureAwait(false);
                Unpublish(socket);
                lifetime.ThrowIfCancellationRequested();
                if (Volatile.Read(ref _socketHealthy) == 0)
                {
                    // Upgraded but never spoke nym-client's protocol: a failed attempt, not a session.
                    Interlocked.Increment(ref _consecutiveFailures);
                }

                if (_limits.Closed.TryAcquire(out int suppressed))
                {
                    NymClientLog.SocketClosed(_logger, _options.Endpoint, suppressed);
                }

                socket = await ReconnectAsync(lifetime).ConfigureAwait(false);
                if (lifetime.IsCancellationRequested)
                {
                    socket.Dispose();
                    return;
                }

                Interlocked.Increment(ref _reconnectCount);
                Publish(socket);
                NymClientLog.Reconnected(_logger, _options.Endpoint);
            }
        }
        catch (OperationCanceledException) when (lifetime.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            if (_limits.Failed.TryAcquire(out int suppressed))
            {
                NymClientLog.FailedForGood(_logger, ex, _options.Endpoint, suppressed);
            }

            Fail(ex);
        }
    }

    private async Task<WebSocket> ReconnectAsync(CancellationToken cancellationToken)
    {
        // The attempt count survives sockets that upgrade and then fail without a well-formed
        // message, so the backoff keeps growing; it restarts when a socket proves healthy.
        Exception? lastError = null;
        while (true)
        {
            int attempt = Volatile.Read(ref _consecutiveFailures);
            if (_options.MaxReconnectAttempts is { } max && attempt >= max)
            {
                throw new IOException($"Gave up reconnecting to nym-client at {_options.Endpoint} after {max} attempts.", lastError);
            }

            await Task.Delay(GetReconnectDelay(attempt, _options.ReconnectInitialDelay, _options.ReconnectMaxDelay), _time, cancellationToken).ConfigureAwait(false);
            try
            {
                return await OpenSocketAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                lastError = ex;
                Interlocked.Increment(ref _consecutiveFailures);
                NymClientLog.ReconnectAttemptFailed(_logger, ex, attempt + 1);
            }
        }
    }

    private async Task ReceiveLoopAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        byte[] chunk = ArrayPool<byte>.Shared.Rent(ReceiveChunkSize);
        var message = new ArrayBufferWriter<byte>(ReceiveChunkSize);
        bool discarding = false;
        try
        {
            while (true)
            {
                ValueWebSocketReceiveResult result = await socket.ReceiveAsync(chunk.AsMemory(), cancellationToken).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    NymClientLog.ClosedByPeer(_logger, socket.CloseStatus);
                    return;
                }

                if (!discarding)
                {
                    if (message.WrittenCount + result.Count > _options.MaxMessageSize)
                    {
                        if (_limits.Oversize.TryAcquire(out int suppressed))
                        {
                            NymClientLog.OversizedMessage(_logger, _options.MaxMessageSize, suppressed);
                        }

                        discarding = true;
                    }
                    else
                    {
                        message.Write(chunk.AsSpan(0, result.Count));
                    }
                }

                if (result.EndOfMessage)
                {
                    if (!discarding)
                    {
                        if (result.MessageType == WebSocketMessageType.Text)
                        {
                            if (_limits.Text.TryAcquire(out int suppressed))
                            {
                                NymClientLog.TextFrame(_logger, suppressed);
                            }
                        }
                        else
                        {
                            await DispatchAsync(message.WrittenSpan.ToArray(), cancellationToken).ConfigureAwait(false);
                        }
                    }

                    discarding = false;
                    message.ResetWrittenCount();
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            NymClientLog.ReceiveFailed(_logger, ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private async ValueTask DispatchAsync(byte[] frame, CancellationToken cancellationToken)
    {
        NymClientResponse response;
        try
        {
            response = NymClientResponse.Decode(frame);
        }
        catch (NymProtocolException ex)
        {
            if (_limits.Malformed.TryAcquire(out int suppressed))
            {
                NymClientLog.MalformedMessage(_logger, ex.Message, suppressed);
            }

            return;
        }

        if (Volatile.Read(ref _socketHealthy) == 0)
        {
            // A well-formed message: this is nym-client, and the reconnect backoff starts over.
            Volatile.Write(ref _socketHealthy, 1);
            Volatile.Write(ref _everHealthy, 1);
            Volatile.Write(ref _consecutiveFailures, 0);
        }

        switch (response)
        {
            case NymClientResponse.Received received:
                try
                {
                    await _received.Writer.WriteAsync(received, cancellationToken).ConfigureAwait(false);
                }
                catch (ChannelClosedException)
                {
                }

                break;

            case NymClientResponse.Error error:
                if (_limits.Error.TryAcquire(out int suppressed))
                {
                    NymClientLog.ErrorReported(_logger, error.Kind, error.Message, suppressed);
                }

                _errors.Writer.TryWrite(error);
                break;

            case NymClientResponse.SelfAddress self:
                TaskCompletionSource<NymAddress>? pending;
                lock (_gate)
                {
                    _selfAddress = self.Address;
                    pending = _selfAddressPending;
                    _selfAddressPending = null;
                }

                pending?.TrySetResult(self.Address);
                break;

            case NymClientResponse.LaneQueueLength lane:
                _laneQueueLengths[lane.Lane] = lane.QueueLength;
                TaskCompletionSource<ulong>[] waiters;
                lock (_gate)
                {
                    waiters = _laneWaiters.TryGetValue(lane.Lane, out List<TaskCompletionSource<ulong>>? list) ? [.. list] : [];
                }

                foreach (TaskCompletionSource<ulong> waiter in waiters)
                {
                    waiter.TrySetResult(lane.QueueLength);
                }

                break;
        }
    }

    private async ValueTask SendFrameAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        using var timeout = new CancellationTokenSource(_options.SendTimeout, _time);
        using var waitToken = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token, _lifetime.Token);

        // Cancelling a WebSocket send aborts the socket, so the caller's token only bounds the waits.
        using var sendToken = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _lifetime.Token);
        try
        {
            while (true)
            {
                Task<WebSocket> ready;
                lock (_gate)
                {
                    ready = _socketReady.Task;
                }

                WebSocket socket = await ready.WaitAsync(waitToken.Token).ConfigureAwait(false);
                await _sendLock.WaitAsync(waitToken.Token).ConfigureAwait(false);
                try
                {
                    await socket.SendAsync(frame, WebSocketMessageType.Binary, endOfMessage: true, sendToken.Token).ConfigureAwait(false);
                    return;
                }
                catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException && !_lifetime.IsCancellationRequested)
                {
                    NymClientLog.SendFailed(_logger, ex);
                    Unpublish(socket);
                }
                finally
                {
                    _sendLock.Release();
                }
            }
        }
        catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
        {
            throw new ObjectDisposedException(nameof(NymClientConnection));
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Sending to nym-client did not complete within {_options.SendTimeout}.");
        }
    }

    private void Publish(WebSocket socket)
    {
        lock (_gate)
        {
            _socket = socket;
            if (_state != NymClientConnectionState.Disposed)
            {
                _state = NymClientConnectionState.Connected;
            }

            if (!_socketReady.TrySetResult(socket))
            {
                _socketReady = NewSocketSource();
                _socketReady.SetResult(socket);
            }
        }
    }

    private void Unpublish(WebSocket socket)
    {
        lock (_gate)
        {
            if (_socket != socket)
            {
                return;
            }

            _socket = null;
            _selfAddress = null;
            if (_state == NymClientConnectionState.Connected)
            {
                _state = NymClientConnectionState.Reconnecting;
            }

            if (_socketReady.Task.IsCompleted)
            {
                _socketReady = NewSocketSource();
            }
        }

        socket.Abort();
        socket.Dispose();
    }

    private void Fail(Exception cause)
    {
        var error = new IOException("The connection to nym-client failed.", cause);
        lock (_gate)
        {
            if (_state != NymClientConnectionState.Disposed)
            {
                _state = NymClientConnectionState.Failed;
            }
        }

        FailPending(error);
        _received.Writer.TryComplete(error);
        _errors.Writer.TryComplete();
    }

    private void FailPending(Exception error)
    {
        TaskCompletionSource<NymAddress>? self;
        List<TaskCompletionSource<ulong>> lanes;
        TaskCompletionSource<WebSocket> ready;
        lock (_gate)
        {
            self = _selfAddressPending;
            _selfAddressPending = null;
            lanes = [.. _laneWaiters.Values.SelectMany(l => l)];
            ready = _socketReady;
            if (ready.Task.IsCompleted)
            {
                _socketReady = ready = NewSocketSource();
            }
        }

        self?.TrySetException(error);
        foreach (TaskCompletionSource<ulong> lane in lanes)
        {
            lane.TrySetException(error);
        }

        ready.TrySetException(error);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}

/// <summary>
/// The rate limits of a <see cref="NymClientConnection"/>'s repeated warnings; shared by the
/// connections a tunnel opens one after another, so a new connection does not start a new allowance.
/// </summary>
internal sealed class NymClientLogLimits(TimeProvider time)
{
    public LogRateLimiter Closed { get; } = new(time);

    public LogRateLimiter Malformed { get; } = new(time);

    public LogRateLimiter Text { get; } = new(time);

    public LogRateLimiter Oversize { get; } = new(time);

    public LogRateLimiter Error { get; } = new(time);

    public LogRateLimiter Failed { get; } = new(time);
}
