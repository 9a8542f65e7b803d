using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Smolmix.Nym;

/// <summary>The lifecycle of an <see cref="IprSession"/>.</summary>
internal enum IprSessionState
{
    /// <summary>Version negotiation and the connect handshake are under way.</summary>
    Connecting,

    /// <summary>The exit allocated addresses and carries traffic.</summary>
    Connected,

    /// <summary>The session ended (asked for, announced by the exit, or the nym-client connection failed).</summary>
    Disconnected,
}

/// <summary>
/// A tunnel to an IP packet router exit over a <see cref="NymClientConnection"/>: negotiates the
/// protocol version (v10, then v9, then v8 by default, each bounded by its own timeout), learns
/// the allocated IPv4/IPv6 addresses and the MTU, and then carries IP packets both ways.
/// v9 and v10 travel in LP SphinxStream frames on one random stream id; v8 travels raw.
/// </summary>
/// <remarks>
/// The session consumes <see cref="NymClientConnection.Received"/>, so one connection carries one
/// session. nym-client uses one sender tag per destination, so two sessions to the same exit
/// through one nym-client would be the same client to the exit. The exit drops a session after
/// 60 s without uplink data (pings do not count); callers should send traffic more often, see
/// <see cref="LastDataSentAt"/>.
/// </remarks>
internal sealed class IprSession : IAsyncDisposable
{
    private readonly NymClientConnection _connection;
    private readonly IprSessionOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly Channel<ReadOnlyMemory<byte>> _packets;
    private readonly Channel<IprInfoResponse> _notices;
    private readonly ConcurrentDictionary<ulong, PendingRequest> _pending = new();
    private readonly ulong _streamId;
    private readonly Lock _gate = new();
    private Task _pump = Task.CompletedTask;
    private IprSessionState _state = IprSessionState.Connecting;
    private uint _nextSequence;
    private byte _version;
    private long _lastDataSentTicks;
    private long _lastDataReceivedTicks;
    private int _disposed;

    private IprSession(NymClientConnection connection, NymAddress exit, IprSessionOptions options, TimeProvider timeProvider, ILogger logger)
    {
        _connection = connection;
        Exit = exit;
        _options = options;
        _time = timeProvider;
        _logger = logger;
        _streamId = RandomNonZeroUInt64();
        _packets = Channel.CreateBounded<ReadOnlyMemory<byte>>(new BoundedChannelOptions(options.ReceiveQueueCapacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleWriter = true,
        });
        _notices = Channel.CreateBounded<IprInfoResponse>(new BoundedChannelOptions(64)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleWriter = true,
        });
    }

    /// <summary>The exit's Nym address.</summary>
    public NymAddress Exit { get; }

    /// <summary>The negotiated protocol version (8, 9 or 10).</summary>
    public byte Version => _version;

    /// <summary>The LP stream id, or null for a v8 (unframed) session.</summary>
    public ulong? StreamId => IprVersion.RequiresStreamFraming(_version) ? _streamId : null;

    /// <summary>The IPv4 address the exit allocated (in 10.0.0.0/16).</summary>
    public IPAddress Ipv4 { get; private set; } = IPAddress.None;

    /// <summary>The IPv6 address the exit allocated (in fc00::/112).</summary>
    public IPAddress Ipv6 { get; private set; } = IPAddress.IPv6None;

    /// <summary>The MTU the exit reported (v10 only), or null.</summary>
    public ushort? ReportedMtu { get; private set; }

    /// <summary>The MTU to use: the reported one, or <see cref="IprSessionOptions.FallbackMtu"/>.</summary>
    public int Mtu => ReportedMtu ?? _options.FallbackMtu;

    /// <summary>IP packets from the exit, one per item. Completes when the session ends.</summary>
    public ChannelReader<ReadOnlyMemory<byte>> Packets => _packets.Reader;

    /// <summary>Informational messages from the exit, such as exit-policy denials (the latest 64 are kept).</summary>
    public ChannelReader<IprInfoResponse> Notices => _notices.Reader;

    /// <summary>The current state.</summary>
    public IprSessionState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    /// <summary>When a data message was last sent (by <see cref="TimeProvider.GetTimestamp"/>), for keep-alive decisions.</summary>
    public long LastDataSentAt => Interlocked.Read(ref _lastDataSentTicks);

    /// <summary>When a data message was last received (by <see cref="TimeProvider.GetTimestamp"/>).</summary>
    public long LastDataReceivedAt => Interlocked.Read(ref _lastDataReceivedTicks);

    /// <summary>
    /// Connects to the exit, trying each of <see cref="IprSessionOptions.Versions"/> in turn until
    /// one answers within its timeout.
    /// </summary>
    /// <exception cref="IprConnectException">The exit refused the connection.</exception>
    /// <exception cref="TimeoutException">No version was answered in time.</exception>
    public static async Task<IprSession> ConnectAsync(
        NymClientConnection connection,
        NymAddress exit,
        IprSessionOptions? options = null,
        TimeProvider? timeProvider = null,
        ILogger? logger = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(exit);
        options ??= new IprSessionOptions();
        options.Validate();
        var session = new IprSession(connection, exit, options, timeProvider ?? TimeProvider.System, logger ?? NullLogger.Instance);
        session._pump = session.PumpAsync();
        try
        {
            await session.NegotiateAsync(cancellationToken).ConfigureAwait(false);
            return session;
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Sends one IP packet (as a one-packet bundle).</summary>
    /// <param name="packet">The whole IP packet, at most 65 535 bytes.</param>
    /// <param name="cancellationToken">Cancels the wait for the nym-client connection.</param>
    public ValueTask SendPacketAsync(ReadOnlyMemory<byte> packet, CancellationToken cancellationToken = default)
    {
        if (packet.Length > PacketBundle.MaxPacketLength)
        {
            throw new ArgumentException($"An IP packet is at most {PacketBundle.MaxPacketLength} bytes.", nameof(packet));
        }

        return SendDataAsync(packet, bundled: false, _options.DataReplySurbs, 0, cancellationToken);
    }

    /// <summary>Sends a ready-made bundle of IP packets (see <see cref="PacketBundle"/>).</summary>
    /// <param name="bundle">The <c>[u16 length][packet]…</c> bundle.</param>
    /// <param name="cancellationToken">Cancels the wait for the nym-client connection.</param>
    public ValueTask SendBundleAsync(ReadOnlyMemory<byte> bundle, CancellationToken cancellationToken = default)
        => SendDataAsync(bundle, bundled: true, _options.DataReplySurbs, 0, cancellationToken);

    /// <summary>Sends a ready-made bundle with a chosen number of reply SURBs on a chosen nym-client lane.</summary>
    /// <param name="bundle">The <c>[u16 length][packet]…</c> bundle.</param>
    /// <param name="replySurbs">Reply SURBs to attach.</param>
    /// <param name="lane">nym-client lane (connection id); 0 is the general lane, non-zero lanes report their queue length.</param>
    /// <param name="cancellationToken">Cancels the wait for the nym-client connection.</param>
    public ValueTask SendBundleAsync(ReadOnlyMemory<byte> bundle, uint replySurbs, ulong lane, CancellationToken cancellationToken = default)
        => SendDataAsync(bundle, bundled: true, replySurbs, lane, cancellationToken);

    /// <summary>The length of the mixnet message that carries a bundle of <paramref name="bundleLength"/> bytes (LP frame, if any, included).</summary>
    public int DataMessageLength(int bundleLength)
        => (IprVersion.RequiresStreamFraming(_version) ? LpFrame.HeaderLength : 0) + IprRequest.DataHeaderLength(bundleLength) + bundleLength;

    /// <summary>Pings the exit and returns the round-trip time. Pings do not keep the session alive.</summary>
    /// <exception cref="TimeoutException">No pong within <see cref="IprSessionOptions.RequestTimeout"/>.</exception>
    public async Task<TimeSpan> PingAsync(CancellationToken cancellationToken = default)
    {
        long start = _time.GetTimestamp();
        ulong id = RandomNonZeroUInt64();
        IprResponse response = await RequestAsync(new IprPingRequest(_version, id, NymTimestamp.UtcNow(_time)), _options.RequestTimeout, cancellationToken).ConfigureAwait(false);
        return response is IprPongResponse
            ? _time.GetElapsedTime(start)
            : throw new NymProtocolException($"Expected a pong, got {response.GetType().Name}.");
    }

    /// <summary>Asks the exit for its build information.</summary>
    /// <exception cref="TimeoutException">No answer within <see cref="IprSessionOptions.RequestTimeout"/>.</exception>
    public async Task<IprHealthResponse> GetHealthAsync(CancellationToken cancellationToken = default)
    {
        ulong id = RandomNonZeroUInt64();
        IprResponse response = await RequestAsync(new IprHealthRequest(_version, id, NymTimestamp.UtcNow(_time)), _options.RequestTimeout, cancellationToken).ConfigureAwait(false);
        return response as IprHealthResponse ?? throw new NymProtocolException($"Expected a health response, got {response.GetType().Name}.");
    }

    /// <summary>
    /// Releases the allocation at the exit and ends the session. The session ends even when the
    /// exit does not answer in time (the exit then frees the addresses after 60 s of silence).
    /// </summary>
    public async Task DisconnectAsync(CancellationToken cancellationToken = default)
    {
        if (State == IprSessionState.Disconnected)
        {
            return;
        }

        try
        {
            ulong id = RandomNonZeroUInt64();
            IprResponse response = await RequestAsync(new IprDisconnectRequest(_version, id, NymTimestamp.UtcNow(_time)), _options.RequestTimeout, cancellationToken).ConfigureAwait(false);
            if (response is IprDisconnectResponse { Failure: { } failure })
            {
                IprSessionLog.DisconnectAnswered(_logger, failure);
            }
        }
        finally
        {
            EndSession(null);
        }
    }

    /// <summary>Stops receiving and ends the session locally; does not notify the exit (see <see cref="DisconnectAsync"/>) or dispose the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        EndSession(null);
        await _lifetime.CancelAsync().ConfigureAwait(false);
        try
        {
            await _pump.WaitAsync(TimeSpan.FromSeconds(5), _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            IprSessionLog.ReceiveLoopStuck(_logger);
        }
    }

    private static ulong RandomNonZeroUInt64()
    {
        Span<byte> bytes = stackalloc byte[8];
        ulong value;
        do
        {
            RandomNumberGenerator.Fill(bytes);
            value = BitConverter.ToUInt64(bytes);
        }
        while (value == 0);
        return value;
    }

    private async Task NegotiateAsync(CancellationToken cancellationToken)
    {
        bool openSent = false;
        IprInfoVersionMismatch? mismatch = null;
        foreach (byte version in _options.Versions)
        {
            bool framed = IprVersion.RequiresStreamFraming(version);
            if (framed && !openSent && _options.SendOpenFrame)
            {
                byte[] open = new LpFrame(_streamId, LpMessageType.Open, 0, default).ToArray();
                await _connection.SendAnonymousAsync(Exit, open, _options.ControlReplySurbs, 0, cancellationToken).ConfigureAwait(false);
                openSent = true;
            }

            ulong id = RandomNonZeroUInt64();
            var connect = new IprConnectRequest(version, id, _options.BufferTimeoutMs, NymTimestamp.UtcNow(_time));
            TimeSpan timeout = _options.ConnectTimeoutFor(version);
            IprResponse response;
            try
            {
                // Every connect attempt is Data seq 0 on the stream (the exit ignores sequence numbers).
                response = await RequestAsync(connect, timeout, cancellationToken, sequence: 0, replySurbs: _options.ConnectReplySurbs).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                IprSessionLog.VersionTimedOut(_logger, version, timeout);
                continue;
            }

            switch (response)
            {
                case IprConnectSuccess success:
                    lock (_gate)
                    {
                        _version = version;
                        Ipv4 = success.Ipv4;
                        Ipv6 = success.Ipv6;
                        ReportedMtu = success.Mtu;
                        _nextSequence = 1;
                        if (_state == IprSessionState.Connecting)
                        {
                            _state = IprSessionState.Connected;
                        }
                    }

                    IprSessionLog.Connected(_logger, version, Mtu);
                    IprSessionLog.Allocated(_logger, Exit, success.Ipv4, success.Ipv6);
                    return;
                case IprConnectFailure failure:
                    throw new IprConnectException(failure.Reason, failure.Detail);
                case IprInfoResponse info:
                    mismatch = info.Reply as IprInfoVersionMismatch ?? mismatch;
                    IprSessionLog.VersionRefused(_logger, version, info.Reply.GetType().Name);
                    continue;
                default:
                    throw new NymProtocolException($"Unexpected reply to a connect: {response.GetType().Name}.");
            }
        }

        if (mismatch is not null)
        {
            throw new IprVersionMismatchException(mismatch.RequestVersion, mismatch.ResponseVersion, _options.Versions);
        }

        throw new TimeoutException($"The IP packet router {Exit} answered none of the versions {string.Join(", ", _options.Versions)}.");
    }

    private async Task<IprResponse> RequestAsync(IprRequest request, TimeSpan timeout, CancellationToken cancellationToken, uint? sequence = null, uint? replySurbs = null)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (State == IprSessionState.Disconnected)
        {
            throw new InvalidOperationException("The IPR session has ended.");
        }

        ulong id = request switch
        {
            IprConnectRequest c => c.RequestId,
            IprDisconnectRequest d => d.RequestId,
            IprPingRequest p => p.RequestId,
            IprHealthRequest h => h.RequestId,
            _ => throw new ArgumentException("Only control requests have replies.", nameof(request)),
        };
        var pending = new PendingRequest(request.Version);
        _pending[id] = pending;
        try
        {
            byte[] message = Frame(request.ToArray(), request.Version, sequence ?? NextSequence());
            await _connection.SendAnonymousAsync(Exit, message, replySurbs ?? _options.ControlReplySurbs, 0, cancellationToken).ConfigureAwait(false);
            return await pending.Reply.Task.WaitAsync(timeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException) when (!pending.Reply.Task.IsCompleted)
        {
            throw new TimeoutException($"The IP packet router did not answer a v{request.Version} {request.GetType().Name} within {timeout}.");
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    private async ValueTask SendDataAsync(ReadOnlyMemory<byte> payload, bool bundled, uint replySurbs, ulong lane, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (State != IprSessionState.Connected)
        {
            throw new InvalidOperationException("The IPR session is not connected.");
        }

        byte version = _version;
        bool framed = IprVersion.RequiresStreamFraming(version);
        int bundleLength = bundled ? payload.Length : PacketBundle.RecordLength(payload.Length);
        int offset = framed ? LpFrame.HeaderLength : 0;
        var message = new byte[offset + IprRequest.DataHeaderLength(bundleLength) + bundleLength];
        if (framed)
        {
            LpFrame.WriteHeader(message, _streamId, LpMessageType.Data, NextSequence());
        }

        offset += IprRequest.WriteDataHeader(message.AsSpan(offset), version, bundleLength);
        if (bundled)
        {
            payload.Span.CopyTo(message.AsSpan(offset));
        }
        else
        {
            PacketBundle.WriteRecord(message.AsSpan(offset), payload.Span);
        }

        await _connection.SendAnonymousAsync(Exit, message, replySurbs, lane, cancellationToken).ConfigureAwait(false);
        Interlocked.Exchange(ref _lastDataSentTicks, _time.GetTimestamp());
    }

    private byte[] Frame(byte[] ipr, byte version, uint sequence)
        => IprMessageReader.Frame(ipr, IprVersion.RequiresStreamFraming(version) ? _streamId : null, sequence);

    private uint NextSequence()
    {
        lock (_gate)
        {
            uint sequence = _nextSequence;
            _nextSequence = _nextSequence == uint.MaxValue ? 1 : _nextSequence + 1;
            return sequence;
        }
    }

    private async Task PumpAsync()
    {
        CancellationToken lifetime = _lifetime.Token;
        Exception? failure = null;
        try
        {
            await foreach (NymClientResponse.Received received in _connection.Received.ReadAllAsync(lifetime).ConfigureAwait(false))
            {
                Handle(received.Message);
            }

            failure = new IOException("The nym-client connection closed.");
        }
        catch (OperationCanceledException) when (lifetime.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            failure = new IOException("The nym-client connection failed.", ex);
        }

        if (failure is not null)
        {
            IprSessionLog.ConnectionLost(_logger, failure);
            EndSession(failure);
        }
    }

    private void Handle(ReadOnlyMemory<byte> message)
    {
        IprEnvelope<IprResponse> envelope;
        try
        {
            if (!IprMessageReader.TryReadResponse(message, out envelope, tolerateV10WithoutMtu: true))
            {
                return;
            }
        }
        catch (NymProtocolException ex)
        {
            IprSessionLog.InvalidResponse(_logger, ex);
            return;
        }

        if (envelope.StreamId is { } stream && stream != _streamId)
        {
            IprSessionLog.ForeignStream(_logger, stream);
            return;
        }

        _options.MessageObserver?.Invoke(message.Length);
        IprResponse response = envelope.Message;
        if (response.RequestId is { } id and not 0 && _pending.TryGetValue(id, out PendingRequest? pending))
        {
            if (pending.Version == response.Version)
            {
                pending.Reply.TrySetResult(response);
            }
            else
            {
                IprSessionLog.VersionMismatch(_logger, response.Version, pending.Version);
            }

            return;
        }

        bool established;
        byte version;
        lock (_gate)
        {
            established = _state == IprSessionState.Connected;
            version = _version;
        }

        if (!established || response.Version != version)
        {
            IprSessionLog.OutsideSession(_logger, response.Version, response.GetType().Name);
            return;
        }

        switch (response)
        {
            case IprDataResponse data:
                Interlocked.Exchange(ref _lastDataReceivedTicks, _time.GetTimestamp());
                var reader = new PacketBundleReader(data.Bundle);
                while (reader.TryReadNext(out ReadOnlyMemory<byte> packet))
                {
                    _packets.Writer.TryWrite(packet);
                }

                if (reader.IsTruncated)
                {
                    IprSessionLog.TruncatedBundle(_logger);
                }

                break;
            case IprUnrequestedDisconnect disconnect:
                IprSessionLog.SessionEnded(_logger, disconnect.Reason, disconnect.Detail);
                EndSession(new IOException($"The IP packet router ended the session: {disconnect.Reason}."));
                break;
            case IprDisconnectResponse:
                EndSession(null);
                break;
            case IprInfoResponse info:
                // The reply may name a destination (exit-policy denials): only its kind above Debug.
                IprSessionLog.Notice(_logger, info.Level == IprInfoLevel.Info ? LogLevel.Information : LogLevel.Warning, info.Reply.GetType().Name);
                IprSessionLog.NoticeDetail(_logger, info.Reply);
                _notices.Writer.TryWrite(info);
                break;
            default:
                IprSessionLog.Unsolicited(_logger, response.GetType().Name);
                break;
        }
    }

    private void EndSession(Exception? error)
    {
        lock (_gate)
        {
            if (_state == IprSessionState.Disconnected)
            {
                return;
            }

            _state = IprSessionState.Disconnected;
        }

        _packets.Writer.TryComplete(error);
        _notices.Writer.TryComplete();
        foreach (PendingRequest pending in _pending.Values)
        {
            pending.Reply.TrySetException(error ?? new InvalidOperationException("The IPR session has ended."));
        }
    }

    private sealed class PendingRequest(byte version)
    {
        public byte Version { get; } = version;

        public TaskCompletionSource<IprResponse> Reply { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
