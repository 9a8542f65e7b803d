using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Smolmix.Bridge;
using Smolmix.Diagnostics;
using Smolmix.Discovery;
using Smolmix.Nym;

namespace Smolmix;

/// <summary>
/// TCP and UDP through the Nym mixnet: a userspace TCP/IP stack whose IP packets travel through a
/// local nym-client daemon to an IP packet router (IPR) exit. The tunnel negotiates the protocol
/// version with the exit, keeps the session alive, detects when it is lost and re-establishes it,
/// failing over to the next exit. Thread-safe.
/// </summary>
/// <remarks>
/// A lost session takes its connections with it: the exit that carried them is gone or has
/// forgotten the addresses, so streams and sockets opened before a loss fail (streams with an
/// <see cref="IOException"/> wrapping <see cref="SocketError.ConnectionAborted"/>) while new ones
/// use the new session. Watch <see cref="StateChanged"/> to know when that happens.
/// </remarks>
public sealed class Tunnel : IAsyncDisposable, IVirtualNetwork
{
    private readonly TunnelOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ILoggerFactory _loggerFactory;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly Lock _gate = new();
    private readonly ulong _lane = ExitSession.NewLane();
    private readonly List<ExitCandidate> _exits = [];
    private TaskCompletionSource _ready = NewReadySignal();
    private TunnelState _state = TunnelState.Connecting;
    private NymClientConnection? _connection;
    private TunnelPath? _path;
    private Task _supervisor = Task.CompletedTask;
    private IPAddress _ipv4 = IPAddress.None;
    private IPAddress? _ipv6;
    private int _mtu;
    private ExitCandidate? _exit;
    private int _version;
    private (TunnelFailureReason Reason, Exception? Cause)? _lastFailure;
    private TunnelException? _failure;
    private int _disposed;
    private readonly LogRateLimiter _retryWarnings;
    private readonly LogRateLimiter _exitWarnings;
    private readonly LogRateLimiter _discoveryWarnings;
    private readonly LogRateLimiter _nymClientWarnings;
    private readonly NymClientLogLimits _nymClientLogLimits;

    private Tunnel(TunnelOptions options)
    {
        _options = options;
        _time = options.TimeProvider;
        _loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger("Smolmix.Tunnel");
        Metrics = new TunnelMetrics(options.MeterFactory);
        _retryWarnings = new LogRateLimiter(_time);
        _exitWarnings = new LogRateLimiter(_time);
        _discoveryWarnings = new LogRateLimiter(_time);
        _nymClientWarnings = new LogRateLimiter(_time);
        _nymClientLogLimits = new NymClientLogLimits(_time);
        foreach (string exit in options.Exits)
        {
            _exits.Add(new ExitCandidate(NymAddress.Parse(exit)));
        }
    }

    /// <summary>Raised (on a background thread) whenever <see cref="State"/> changes.</summary>
    public event EventHandler<TunnelStateChangedEventArgs>? StateChanged;

    /// <summary>The current state.</summary>
    public TunnelState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    /// <summary>The IPv4 address the exit allocated (in 10.0.0.0/16); after a reconnect, the new one.</summary>
    public IPAddress IPv4Address
    {
        get
        {
            lock (_gate)
            {
                return _ipv4;
            }
        }
    }

    /// <summary>The IPv6 address the exit allocated (in fc00::/112), or null.</summary>
    public IPAddress? IPv6Address
    {
        get
        {
            lock (_gate)
            {
                return _ipv6;
            }
        }
    }

    /// <summary>The tunnel's MTU: the exit's (protocol v10), otherwise <see cref="TunnelOptions.FallbackMtu"/>.</summary>
    public int Mtu
    {
        get
        {
            lock (_gate)
            {
                return _mtu;
            }
        }
    }

    /// <summary>The Nym address of the exit in use (or last used).</summary>
    public string Exit
    {
        get
        {
            lock (_gate)
            {
                return _exit?.Address.ToString() ?? string.Empty;
            }
        }
    }

    /// <summary>The IP packet router protocol version in use (8, 9 or 10).</summary>
    public int ProtocolVersion
    {
        get
        {
            lock (_gate)
            {
                return _version;
            }
        }
    }

    /// <summary>Counters of the tunnel (all sessions).</summary>
    public TunnelMetrics Metrics { get; }

    /// <summary>The current path's stack, or null (diagnostics: benchmarks trace its connections).</summary>
    internal NetStack? CurrentStack
    {
        get
        {
            lock (_gate)
            {
                return _path?.Stack;
            }
        }
    }

    /// <summary>Counters of the current session's TCP/IP stack, or null while none is up.</summary>
    public StackMetrics? StackMetrics
    {
        get
        {
            lock (_gate)
            {
                return _path?.Stack.Metrics;
            }
        }
    }

    /// <summary>
    /// Connects to nym-client, finds the exits (or takes <see cref="TunnelOptions.Exits"/>) and
    /// establishes a session with the first that answers, all within
    /// <see cref="TunnelOptions.ConnectTimeout"/>. The tunnel is <see cref="TunnelState.Ready"/> when this returns.
    /// </summary>
    /// <remarks>
    /// nym-client is tried first, once: when nothing listens at <see cref="TunnelOptions.NymClient"/>
    /// (or what listens there does not speak nym-client's protocol) this fails at once, without
    /// waiting for the connect timeout. Exits that do not answer are retried until the timeout.
    /// </remarks>
    /// <param name="options">The settings (copied).</param>
    /// <param name="cancellationToken">Cancels the attempt.</param>
    /// <exception cref="TunnelException">
    /// The tunnel could not be established; <see cref="TunnelException.Reason"/> says why
    /// (<see cref="TunnelFailureReason.NymClientUnreachable"/>, <see cref="TunnelFailureReason.NymClientProtocolError"/>,
    /// <see cref="TunnelFailureReason.DirectoryUnavailable"/>, <see cref="TunnelFailureReason.NoExitListed"/>,
    /// <see cref="TunnelFailureReason.NoExitAnswered"/>, <see cref="TunnelFailureReason.ExitRefused"/> or
    /// <see cref="TunnelFailureReason.ProtocolVersionMismatch"/>) and its inner exception is the underlying error.
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task<Tunnel> ConnectAsync(TunnelOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var tunnel = new Tunnel(options.Clone());
        using Activity? activity = SmolmixDiagnostics.ActivitySource.StartActivity(SmolmixDiagnostics.TunnelConnectActivity);
        using var timeout = new CancellationTokenSource(tunnel._options.ConnectTimeout, tunnel._time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token, tunnel._lifetime.Token);
        try
        {
            ExitSession session = await tunnel.EstablishAsync(startAt: 0, initial: true, linked.Token).ConfigureAwait(false);
            await tunnel.InstallAsync(session).ConfigureAwait(false);
            activity?.SetTag("smolmix.tunnel.protocol_version", (int)session.Session.Version);
            activity?.SetTag("smolmix.tunnel.mtu", session.Mtu);
        }
        catch (Exception ex)
        {
            await tunnel.DisposeAsync().ConfigureAwait(false);
            Exception thrown = ex;
            if (ex is OperationCanceledException && timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                (TunnelFailureReason reason, Exception? cause) = tunnel._lastFailure
                    ?? (tunnel._connection is null ? TunnelFailureReason.NymClientUnreachable : TunnelFailureReason.NoExitAnswered, null);
                thrown = new TunnelException(reason, $"No tunnel within {tunnel._options.ConnectTimeout}: {Describe(reason)}.", cause ?? new TimeoutException("The connect timeout expired.", ex));
            }

            if (thrown is TunnelException failure)
            {
                TunnelLog.ConnectFailed(tunnel._logger, failure.Reason);
                activity?.SetTag("smolmix.tunnel.failure_reason", failure.Reason.ToString());
            }

            activity?.SetStatus(ActivityStatusCode.Error, thrown.GetType().Name);
            if (ReferenceEquals(thrown, ex))
            {
                throw;
            }

            throw thrown;
        }

        tunnel._supervisor = Task.Run(tunnel.SuperviseAsync);
        return tunnel;
    }

    /// <summary>Waits until the tunnel is <see cref="TunnelState.Ready"/>.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="TunnelException">The tunnel has failed for good (<see cref="TunnelState.Failed"/>; <see cref="TunnelException.Reason"/> says why).</exception>
    /// <exception cref="ObjectDisposedException">The tunnel was disposed.</exception>
    public async Task WaitUntilReadyAsync(CancellationToken cancellationToken = default)
        => await WaitForPathAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Opens a TCP connection through the exit. Waits for the tunnel to be ready first; the whole
    /// operation is bounded by <see cref="TunnelOptions.TcpConnectTimeout"/>.
    /// </summary>
    /// <param name="remote">The destination.</param>
    /// <param name="cancellationToken">Cancels the attempt.</param>
    /// <exception cref="SocketException">Refused (<see cref="SocketError.ConnectionRefused"/>) or timed out (<see cref="SocketError.TimedOut"/>).</exception>
    /// <exception cref="TunnelException">The tunnel has failed for good (<see cref="TunnelState.Failed"/>; <see cref="TunnelException.Reason"/> says why).</exception>
    public async Task<TcpStream> ConnectTcpAsync(IPEndPoint remote, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(remote);
        using Activity? activity = SmolmixDiagnostics.ActivitySource.StartActivity(SmolmixDiagnostics.TcpConnectActivity, ActivityKind.Client);
        activity?.SetTag("network.transport", "tcp");
        activity?.SetTag("network.type", remote.AddressFamily == AddressFamily.InterNetworkV6 ? "ipv6" : "ipv4");
        try
        {
            return await ConnectTcpCoreAsync(remote, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            activity?.SetTag("error.type", ex is SocketException se ? se.SocketErrorCode.ToString() : ex.GetType().Name);
            activity?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            throw;
        }
    }

    private async Task<TcpStream> ConnectTcpCoreAsync(IPEndPoint remote, CancellationToken cancellationToken)
    {
        long start = _time.GetTimestamp();
        while (true)
        {
            TimeSpan remaining = _options.TcpConnectTimeout - _time.GetElapsedTime(start);
            if (remaining <= TimeSpan.Zero)
            {
                throw new SocketException((int)SocketError.TimedOut);
            }

            NetStack stack = await WaitForPathAsync(remaining, cancellationToken).ConfigureAwait(false);
            remaining = _options.TcpConnectTimeout - _time.GetElapsedTime(start);
            try
            {
                return await stack.ConnectTcpAsync(remote, remaining > TimeSpan.Zero ? remaining : TimeSpan.FromTicks(1), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ObjectDisposedException or SocketException { SocketErrorCode: SocketError.ConnectionAborted } && !IsCurrent(stack))
            {
                // The session was lost while connecting; try again on the next one.
                TunnelLog.TcpConnectRetried(_logger);
            }
        }
    }

    /// <summary>
    /// Binds a UDP socket on the current session's stack (0 picks an ephemeral port). If the
    /// session is lost the socket is closed (receives fail with <see cref="ObjectDisposedException"/>);
    /// bind a new one once the tunnel is ready again.
    /// </summary>
    /// <param name="port">The local port.</param>
    /// <exception cref="InvalidOperationException">The tunnel is not <see cref="TunnelState.Ready"/> (see <see cref="WaitUntilReadyAsync"/>).</exception>
    public UdpSocket BindUdp(int port = 0)
    {
        TunnelPath path;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_state == TunnelState.Closed, this);
            path = _path is { } p && _state == TunnelState.Ready
                ? p
                : throw new InvalidOperationException($"The tunnel is {_state}, not Ready.");
        }

        return path.Stack.BindUdp(port);
    }

    /// <summary>
    /// Binds a UDP socket on the current session's stack (0 picks an ephemeral port), first waiting
    /// for the tunnel to be <see cref="TunnelState.Ready"/> (bounded by
    /// <see cref="TunnelOptions.TcpConnectTimeout"/>). If the session is lost later the socket is
    /// closed (receives fail with <see cref="ObjectDisposedException"/>).
    /// </summary>
    /// <param name="port">The local port, or 0.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="SocketException">The tunnel was not ready in time (<see cref="SocketError.TimedOut"/>) or the port is in use.</exception>
    /// <exception cref="TunnelException">The tunnel has failed for good (<see cref="TunnelState.Failed"/>; <see cref="TunnelException.Reason"/> says why).</exception>
    public async ValueTask<UdpSocket> BindUdpAsync(int port = 0, CancellationToken cancellationToken = default)
    {
        if (port is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(port));
        }

        while (true)
        {
            NetStack stack = await WaitForPathAsync(_options.TcpConnectTimeout, cancellationToken).ConfigureAwait(false);
            try
            {
                return stack.BindUdp(port);
            }
            catch (ObjectDisposedException) when (!IsCurrent(stack))
            {
                // The session was replaced between the wait and the bind; bind on the new one.
            }
        }
    }

    /// <summary>Sends an ICMP echo through the exit and returns the round-trip time (bounded by <see cref="TunnelOptions.PingTimeout"/>).</summary>
    /// <param name="address">The address to ping (10.0.0.1 is the exit itself).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="TimeoutException">No reply in time.</exception>
    /// <exception cref="TunnelException">The tunnel has failed for good.</exception>
    public async Task<TimeSpan> PingAsync(IPAddress address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        long start = _time.GetTimestamp();
        NetStack stack;
        try
        {
            stack = await WaitForPathAsync(_options.PingTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.TimedOut)
        {
            throw new TimeoutException("The tunnel was not ready in time.", ex);
        }

        TimeSpan remaining = _options.PingTimeout - _time.GetElapsedTime(start);
        return await stack.PingAsync(address, remaining > TimeSpan.Zero ? remaining : TimeSpan.FromTicks(1), 32, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Closes the tunnel: tells the exit to release the addresses (bounded by
    /// <see cref="TunnelOptions.DisconnectTimeout"/>), aborts every connection and closes the
    /// nym-client connection.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _lifetime.CancelAsync().ConfigureAwait(false);
        try
        {
            await _supervisor.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            TunnelLog.SupervisorEnded(_logger, ex);
        }

        TunnelPath? path;
        NymClientConnection? connection;
        lock (_gate)
        {
            path = _path;
            _path = null;
            connection = _connection;
            _connection = null;
        }

        if (path is not null)
        {
            await path.Session.DisconnectAsync(_options.DisconnectTimeout).ConfigureAwait(false);
            await TearDownAsync(path).ConfigureAwait(false);
        }

        if (connection is not null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }

        SetState(TunnelState.Closed, "disposed", null);
        Metrics.Dispose();
        _lifetime.Dispose();
    }

    private static TaskCompletionSource NewReadySignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private bool IsCurrent(NetStack stack)
    {
        lock (_gate)
        {
            return ReferenceEquals(_path?.Stack, stack);
        }
    }

    private Task<NetStack> WaitForPathAsync(CancellationToken cancellationToken) => WaitForPathAsync(Timeout.InfiniteTimeSpan, cancellationToken);

    private async Task<NetStack> WaitForPathAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var bound = timeout == Timeout.InfiniteTimeSpan ? null : new CancellationTokenSource(timeout, _time);
        using var linked = bound is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, bound.Token);
        CancellationToken token = linked?.Token ?? cancellationToken;
        while (true)
        {
            Task ready;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_state == TunnelState.Closed, this);
                if (_state == TunnelState.Failed)
                {
                    throw _failure is { } failure
                        ? new TunnelException(failure.Reason, failure.Message, failure)
                        : new TunnelException(TunnelFailureReason.ReconnectGaveUp, "The tunnel has failed; no exit could be reached.");
                }

                if (_state == TunnelState.Ready && _path is { } path)
                {
                    return path.Stack;
                }

                ready = _ready.Task;
            }

            try
            {
                await ready.WaitAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (bound is { IsCancellationRequested: true } && !cancellationToken.IsCancellationRequested)
            {
                throw new SocketException((int)SocketError.TimedOut);
            }
            catch (Exception) when (ready.IsFaulted)
            {
                // The state changed to Failed or Closed; the loop reports it.
            }
        }
    }

    private async Task<ExitSession> EstablishAsync(int startAt, bool initial, CancellationToken cancellationToken)
    {
        // Two backoffs: rounds in which exits were tried and none answered double up to
        // Reconnect.MaxDelay (each costs mixnet traffic); rounds in which nym-client could not be
        // reached at all wait at most Reconnect.NymClientRetryDelay (a local connect attempt is
        // cheap), so the tunnel is back within seconds of nym-client's return, however long it was
        // gone. An endpoint that accepts the WebSocket but does not speak nym-client's protocol
        // counts as an exit round. Both restart only when a session is established (a new call).
        Exception? lastError = null;
        int exitRounds = 0;
        int unreachableRounds = 0;
        TimeSpan delay = TimeSpan.Zero;
        for (int round = 0; ; round++)
        {
            if (round > 0)
            {
                if (!initial && _options.Reconnect.MaxRounds is int max && round >= max)
                {
                    TunnelFailureReason reason = _lastFailure?.Reason ?? TunnelFailureReason.NoExitAnswered;
                    throw new TunnelException(TunnelFailureReason.ReconnectGaveUp, $"No exit could be reached in {max} rounds (last: {Describe(reason)}).", lastError);
                }

                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            }

            // nym-client first: it is local and cheap to reach, and "nym-client is not running"
            // must not be mistaken for a dead exit.
            NymClientConnection connection;
            try
            {
                connection = await EnsureConnectionAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                TunnelException failure = NymClientFailure(ex, everSpoke: false);
                Fail(failure.Reason, ex);
                lastError = ex;
                if (initial)
                {
                    throw failure;
                }

                delay = NextNymClientDelay(failure.Reason, ref unreachableRounds, ref exitRounds);
                if (_nymClientWarnings.TryAcquire(out int suppressed))
                {
                    TunnelLog.NymClientDown(_logger, failure.Reason, ex.Message, delay, suppressed);
                }

                continue;
            }

            if (_options.Exits.Count == 0 && (round > 0 || _exits.Count == 0))
            {
                try
                {
                    IReadOnlyList<ExitCandidate> found = await ExitDirectory.DiscoverAsync(_options.NymApi, _options.Discovery, _time, _logger, cancellationToken, _options.Proxy).ConfigureAwait(false);
                    lock (_gate)
                    {
                        _exits.Clear();
                        _exits.AddRange(found);
                    }

                    startAt = 0;
                }
                catch (Exception ex) when (ex is HttpRequestException or TimeoutException or InvalidDataException or System.Text.Json.JsonException)
                {
                    lastError = ex;
                    if (_discoveryWarnings.TryAcquire(out int suppressed))
                    {
                        TunnelLog.DiscoveryFailed(_logger, ex.Message, suppressed);
                    }

                    if (_exits.Count == 0)
                    {
                        Fail(TunnelFailureReason.DirectoryUnavailable, ex);
                        delay = _options.Reconnect.DelayAfter(exitRounds++);
                        continue;
                    }
                }
            }

            ExitCandidate[] exits;
            lock (_gate)
            {
                exits = [.. _exits];
            }

            if (exits.Length == 0)
            {
                lastError = new IOException("The directory lists no usable exit.");
                Fail(TunnelFailureReason.NoExitListed, lastError);
                delay = _options.Reconnect.DelayAfter(exitRounds++);
                continue;
            }

            bool nymClientLost = false;
            for (int i = 0; i < exits.Length && !nymClientLost; i++)
            {
                ExitCandidate exit = exits[(startAt + i) % exits.Length];
                try
                {
                    TunnelLog.ConnectingToExit(_logger, exit.ToString());
                    return await ExitSession.ConnectAsync(connection, exit, _options, Metrics, _lane, _logger, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    lastError = ex;
                    if (connection.State != NymClientConnectionState.Connected)
                    {
                        // nym-client went away under the attempt: not the exit's fault.
                        nymClientLost = true;
                        TunnelException failure = NymClientFailure(ex, connection.HasSpokenProtocol);
                        Fail(failure.Reason, ex);
                        if (initial && !connection.HasSpokenProtocol)
                        {
                            throw failure; // accepted the WebSocket, never spoke nym-client's protocol
                        }

                        delay = NextNymClientDelay(failure.Reason, ref unreachableRounds, ref exitRounds);
                        if (_nymClientWarnings.TryAcquire(out int suppressed))
                        {
                            TunnelLog.NymClientDown(_logger, failure.Reason, ex.Message, delay, suppressed);
                        }

                        break;
                    }

                    Fail(ex switch
                    {
                        IprConnectException => TunnelFailureReason.ExitRefused,
                        IprVersionMismatchException => TunnelFailureReason.ProtocolVersionMismatch,
                        _ => TunnelFailureReason.NoExitAnswered,
                    }, ex);
                    Metrics.ExitConnectFailed();
                    if (_exitWarnings.TryAcquire(out int exitSuppressed))
                    {
                        TunnelLog.ExitFailed(_logger, ex.GetType().Name, exitSuppressed);
                    }

                    TunnelLog.ExitFailedDetail(_logger, ex, exit.ToString());
                }
            }

            if (!nymClientLost)
            {
                unreachableRounds = 0;
                delay = _options.Reconnect.DelayAfter(exitRounds++);
                if (_retryWarnings.TryAcquire(out int suppressed))
                {
                    TunnelLog.RetryingExits(_logger, delay, suppressed);
                }
            }
        }
    }

    private static string Describe(TunnelFailureReason reason) => reason switch
    {
        TunnelFailureReason.NymClientUnreachable => "nothing accepted a connection at the nym-client URI (is nym-client running?)",
        TunnelFailureReason.NymClientProtocolError => "the endpoint at the nym-client URI does not speak nym-client's WebSocket protocol",
        TunnelFailureReason.DirectoryUnavailable => "the nym-api directory could not be read",
        TunnelFailureReason.NoExitListed => "the directory lists no usable exit",
        TunnelFailureReason.NoExitAnswered => "no exit answered",
        TunnelFailureReason.ExitRefused => "the exit refused the session",
        TunnelFailureReason.ProtocolVersionMismatch => "the exit speaks none of the offered protocol versions",
        TunnelFailureReason.ReconnectGaveUp => "the tunnel gave up reconnecting",
        _ => "the tunnel failed",
    };

    /// <summary>Classifies a failure to use nym-client: nothing reachable there, or something that does not speak its protocol.</summary>
    private TunnelException NymClientFailure(Exception error, bool everSpoke)
    {
        bool unreachable = everSpoke;
        for (Exception? e = error; e is not null && !unreachable; e = e.InnerException)
        {
            unreachable = e is SocketException or TimeoutException
                || e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError };
        }

        TunnelFailureReason reason = unreachable ? TunnelFailureReason.NymClientUnreachable : TunnelFailureReason.NymClientProtocolError;
        string detail = error is WebSocketException or TimeoutException or IOException ? $" ({error.Message})" : string.Empty;
        return new TunnelException(reason, $"nym-client at {_options.NymClient}: {Describe(reason)}{detail}", error);
    }

    private TimeSpan NextNymClientDelay(TunnelFailureReason reason, ref int unreachableRounds, ref int exitRounds)
    {
        if (reason != TunnelFailureReason.NymClientUnreachable)
        {
            // Accepted the connection but garbled it: back off as for a dead exit, never a storm.
            return _options.Reconnect.DelayAfter(exitRounds++);
        }

        TimeSpan delay = _options.Reconnect.DelayAfter(unreachableRounds++);
        return delay < _options.Reconnect.NymClientRetryDelay ? delay : _options.Reconnect.NymClientRetryDelay;
    }

    private void Fail(TunnelFailureReason reason, Exception cause)
    {
        lock (_gate)
        {
            _lastFailure = (reason, cause);
        }
    }

    private async Task<NymClientConnection> EnsureConnectionAsync(CancellationToken cancellationToken)
    {
        NymClientConnection? stale = null;
        lock (_gate)
        {
            if (_connection is { State: NymClientConnectionState.Connected or NymClientConnectionState.Reconnecting } live)
            {
                return live;
            }

            stale = _connection;
            _connection = null;
        }

        if (stale is not null)
        {
            await stale.DisposeAsync().ConfigureAwait(false);
        }

        var options = new NymClientConnectionOptions
        {
            Endpoint = _options.NymClient,
            ConnectTimeout = _options.NymClientConnectTimeout,
            MaxReconnectAttempts = 5,
            Proxy = _options.Proxy,
            LogLimits = _nymClientLogLimits,
        };
        NymClientConnection connection = await NymClientConnection.ConnectAsync(options, _time, _loggerFactory.CreateLogger("Smolmix.NymClient"), cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            _connection = connection;
        }

        return connection;
    }

    private async Task InstallAsync(ExitSession session)
    {
        int mtu = session.Mtu;
        var device = new NymBridgeDevice(mtu, _options.Bundling, Metrics, _time, _loggerFactory.CreateLogger("Smolmix.Bridge"));
        StackOptions stackOptions = _options.Stack.Clone();
        stackOptions.Mtu = mtu;
        stackOptions.TimeProvider = _time;
        stackOptions.LoggerFactory = _options.LoggerFactory;
        stackOptions.MeterFactory = _options.MeterFactory;
        NetStack stack;
        try
        {
            stack = NetStack.Start(device, session.LocalIpv4, session.LocalIpv6, stackOptions);
        }
        catch
        {
            await device.DisposeAsync().ConfigureAwait(false);
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        device.Attach(session);
        lock (_gate)
        {
            _path = new TunnelPath(session, device, stack);
            _ipv4 = session.LocalIpv4;
            _ipv6 = session.LocalIpv6;
            _mtu = mtu;
            _exit = session.Exit;
            _version = session.Session.Version;
        }

        TunnelLog.Ready(_logger, session.Session.Version, mtu);
        TunnelLog.ReadyDetail(_logger, session.Exit.ToString(), session.LocalIpv4, session.LocalIpv6);
        SetState(TunnelState.Ready, "connected", null);
    }

    private async Task SuperviseAsync()
    {
        CancellationToken lifetime = _lifetime.Token;
        try
        {
            while (true)
            {
                TunnelPath path;
                lock (_gate)
                {
                    path = _path ?? throw new InvalidOperationException("No session to supervise.");
                }

                SessionLoss loss = await SessionWatchdog.RunAsync(path.Session, path.Device, _options, _logger, lifetime).ConfigureAwait(false);
                TunnelLog.SessionLost(_logger, loss.Reason);
                lock (_gate)
                {
                    _path = null;
                }

                SetState(TunnelState.Reconnecting, loss.Reason, loss.Error);
                await TearDownAsync(path).ConfigureAwait(false);
                if (!_options.Reconnect.Enabled)
                {
                    var disabled = new TunnelException(TunnelFailureReason.ReconnectGaveUp, "The session was lost and reconnection is disabled: " + loss.Reason + ".", loss.Error);
                    lock (_gate)
                    {
                        _failure = disabled;
                    }

                    SetState(TunnelState.Failed, "reconnection is disabled", disabled);
                    return;
                }

                int next;
                lock (_gate)
                {
                    int index = _exits.FindIndex(e => e.Address == path.Session.Exit.Address);
                    next = _exits.Count == 0 ? 0 : (index + 1) % _exits.Count;
                }

                ExitSession session;
                try
                {
                    session = await EstablishAsync(next, initial: false, lifetime).ConfigureAwait(false);
                }
                catch (TunnelException ex)
                {
                    TunnelLog.GaveUp(_logger, ex.Message);
                    lock (_gate)
                    {
                        _failure = ex;
                    }

                    SetState(TunnelState.Failed, ex.Message, ex);
                    return;
                }

                await InstallAsync(session).ConfigureAwait(false);
                Metrics.Reconnected();
            }
        }
        catch (OperationCanceledException) when (lifetime.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            TunnelLog.SupervisorFailed(_logger, ex);
            SetState(TunnelState.Failed, "internal error: " + ex.Message, ex);
        }
    }

    private async Task TearDownAsync(TunnelPath path)
    {
        path.Device.Detach(path.Session);
        await path.Stack.DisposeAsync().ConfigureAwait(false);
        await path.Device.DisposeAsync().ConfigureAwait(false);
        await path.Session.DisposeAsync().ConfigureAwait(false);
    }

    private void SetState(TunnelState state, string? reason, Exception? error)
    {
        TunnelState previous;
        lock (_gate)
        {
            previous = _state;
            if (previous == state || previous == TunnelState.Closed || (previous == TunnelState.Failed && state != TunnelState.Closed))
            {
                return;
            }

            _state = state;
            if (state == TunnelState.Ready)
            {
                _ready.TrySetResult();
            }
            else if (state is TunnelState.Failed or TunnelState.Closed)
            {
                _ready.TrySetException(new TunnelException(TunnelFailureReason.ReconnectGaveUp, $"The tunnel is {state}."));
                _ = _ready.Task.Exception; // observed: waiters re-check the state
            }
            else if (_ready.Task.IsCompleted)
            {
                _ready = NewReadySignal();
            }
        }

        TunnelLog.StateChanged(_logger, previous, state, reason);
        try
        {
            StateChanged?.Invoke(this, new TunnelStateChangedEventArgs(previous, state, reason, error));
        }
        catch (Exception ex)
        {
            TunnelLog.HandlerThrew(_logger, ex);
        }
    }

    private sealed record TunnelPath(ExitSession Session, NymBridgeDevice Device, NetStack Stack);
}
