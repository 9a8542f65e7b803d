using System.Net;
using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Smolmix.Discovery;
using Smolmix.Nym;

namespace Smolmix.Bridge;

/// <summary>
/// One session with one exit as the bridge and the tunnel see it: the <see cref="IprSession"/>
/// plus its SURB policy, its liveness timestamps and nym-client's queue on the tunnel's lane.
/// </summary>
internal sealed class ExitSession : IBridgeTransport, IAsyncDisposable
{
    private readonly NymClientConnection _connection;
    private readonly TunnelOptions _options;
    private readonly TunnelMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    // Bare acknowledgements wait in the bridge's queue rather than in nym-client's: there the newer ones join
    // the same message, so a download costs fewer forward messages (and their Sphinx packets).
    private const int AckLaneLimit = 2;

    private readonly ulong _lane;
    private readonly ulong _surbLane;
    private readonly ulong _interactiveLane;
    private readonly ulong _ackLane;
    private IprSession? _session;

    private ExitSession(NymClientConnection connection, ExitCandidate exit, TunnelOptions options, TunnelMetrics metrics, ulong lane, ILogger logger)
    {
        _connection = connection;
        Exit = exit;
        _options = options;
        _metrics = metrics;
        _time = options.TimeProvider;
        _logger = logger;
        _lane = lane;
        do
        {
            _surbLane = NewLane();
            _interactiveLane = NewLane();
            _ackLane = NewLane();
        }
        while (new HashSet<ulong> { lane, _surbLane, _interactiveLane, _ackLane }.Count < 4);
        Surbs = new SurbPolicy(options.Surbs, _time);
        Liveness = new LivenessTracker(_time);
    }

    /// <summary>The exit.</summary>
    public ExitCandidate Exit { get; }

    /// <summary>The underlying session.</summary>
    public IprSession Session => _session ?? throw new InvalidOperationException("Not connected.");

    /// <inheritdoc/>
    public IPAddress LocalIpv4 => Session.Ipv4;

    /// <summary>The allocated IPv6 address.</summary>
    public IPAddress LocalIpv6 => Session.Ipv6;

    /// <summary>The MTU to use: the exit's (v10) or the fallback, capped by <see cref="TunnelOptions.MaxMtu"/>, at least 1280.</summary>
    public int Mtu => Math.Max(1280, Math.Min(Session.Mtu, _options.MaxMtu ?? int.MaxValue));

    /// <inheritdoc/>
    public SurbPolicy Surbs { get; }

    /// <inheritdoc/>
    public LivenessTracker Liveness { get; }

    /// <inheritdoc/>
    public ChannelReader<ReadOnlyMemory<byte>> Packets => Session.Packets;

    /// <summary>Completes (possibly with an error) when the session ends.</summary>
    public Task Ended => Session.Packets.Completion;

    /// <summary>Connects to <paramref name="exit"/> with version negotiation.</summary>
    public static async Task<ExitSession> ConnectAsync(NymClientConnection connection, ExitCandidate exit, TunnelOptions options, TunnelMetrics metrics, ulong lane, ILogger logger, CancellationToken cancellationToken)
    {
        var link = new ExitSession(connection, exit, options, metrics, lane, logger);
        IReadOnlyList<byte> versions = exit.VersionsToOffer(options.ProtocolVersions);
        var sessionOptions = new IprSessionOptions
        {
            Versions = versions,
            V10ConnectTimeout = options.ProtocolVersionTimeout,
            V9ConnectTimeout = options.ProtocolVersionTimeout,
            V8ConnectTimeout = options.ProtocolVersionTimeout,
            RequestTimeout = options.PingTimeout,
            ControlReplySurbs = (uint)options.Surbs.ControlSurbs,
            ConnectReplySurbs = (uint)options.Surbs.InitialSurbs,
            BufferTimeoutMs = options.ExitBufferTimeoutMs is int ms ? (ulong)ms : null,
            FallbackMtu = (ushort)options.FallbackMtu,
            MessageObserver = link.OnMessage,
        };
        link._session = await IprSession.ConnectAsync(connection, exit.Address, sessionOptions, options.TimeProvider, logger, cancellationToken).ConfigureAwait(false);

        // The open frame and every connect attempt up to the one answered carried SURBs to this exit.
        int attempts = Math.Max(1, versions.ToList().IndexOf(link._session.Version) + 1);
        int surbs = (attempts * options.Surbs.InitialSurbs) + (versions.Any(IprVersion.RequiresStreamFraming) ? options.Surbs.ControlSurbs : 0);
        link.Surbs.RecordSent(surbs);
        metrics.ControlSurbsSent(surbs);
        link.Liveness.OnHeard();
        return link;
    }

    /// <summary>A lane id for nym-client (random, non-zero).</summary>
    public static ulong NewLane()
    {
        Span<byte> bytes = stackalloc byte[8];
        ulong lane;
        do
        {
            RandomNumberGenerator.Fill(bytes);
            lane = BitConverter.ToUInt64(bytes) >> 1;
        }
        while (lane == 0);
        return lane;
    }

    /// <inheritdoc/>
    public int DataMessageLength(int bundleLength) => Session.DataMessageLength(bundleLength);

    /// <inheritdoc/>
    public async ValueTask WaitForRoomAsync(BridgeLane lane, CancellationToken cancellationToken)
    {
        if (KnownToHaveRoom(lane, out ulong id, out int limit))
        {
            return;
        }

        // The length seen last was reported when a message was queued; packets may have left since.
        // Ask once before waiting (a local round trip), so a queue that has already drained costs no
        // poll interval.
        ulong queued = await _connection.GetLaneQueueLengthAsync(id, cancellationToken).ConfigureAwait(false);
        while (queued > (ulong)(limit / 2))
        {
            await Task.Delay(_options.Bundling.NymClientQueuePollInterval, _time, cancellationToken).ConfigureAwait(false);
            queued = await _connection.GetLaneQueueLengthAsync(id, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public async ValueTask<bool> HasRoomAsync(BridgeLane lane, CancellationToken cancellationToken)
    {
        if (KnownToHaveRoom(lane, out ulong id, out int limit))
        {
            return true;
        }

        ulong queued = await _connection.GetLaneQueueLengthAsync(id, cancellationToken).ConfigureAwait(false);
        return queued <= (ulong)limit;
    }

    /// <summary>
    /// True when no check is needed: no limit, no length reported yet, or the last reported length is within
    /// the limit. Otherwise the caller asks nym-client (the length seen last was reported when a message was
    /// queued; packets may have left since).
    /// </summary>
    private bool KnownToHaveRoom(BridgeLane lane, out ulong id, out int limit)
    {
        limit = _options.Bundling.NymClientQueueLimit;
        if (lane == BridgeLane.Acks && limit > AckLaneLimit)
        {
            limit = AckLaneLimit;
        }

        id = LaneId(lane);
        return limit == 0 || !_connection.TryGetLastLaneQueueLength(id, out ulong queued) || queued <= (ulong)limit;
    }

    /// <inheritdoc/>
    public async ValueTask SendBundleAsync(ReadOnlyMemory<byte> bundle, int replySurbs, BridgeLane lane, CancellationToken cancellationToken)
    {
        Liveness.OnSent();
        ulong id = LaneId(lane);
        await Session.SendBundleAsync(bundle, (uint)replySurbs, id, cancellationToken).ConfigureAwait(false);
        _connection.NoteQueued(id, SphinxEstimate.ForwardPackets(DataMessageLength(bundle.Length), replySurbs));
        Surbs.RecordSent(replySurbs);
    }

    private ulong LaneId(BridgeLane lane) => lane switch
    {
        BridgeLane.Surbs => _surbLane,
        BridgeLane.Interactive => _interactiveLane,
        BridgeLane.Acks => _ackLane,
        _ => _lane,
    };

    /// <summary>Pings the exit through the IPR protocol (the answer counts as liveness, not as activity at the exit).</summary>
    public async Task<TimeSpan> PingAsync(CancellationToken cancellationToken)
    {
        Surbs.RecordSent(_options.Surbs.ControlSurbs);
        _metrics.ControlSurbsSent(_options.Surbs.ControlSurbs);
        Liveness.OnSent();
        return await Session.PingAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Asks the exit to release the allocation, waiting at most <paramref name="timeout"/>.</summary>
    public async Task DisconnectAsync(TimeSpan timeout)
    {
        if (_session is null || _session.State != IprSessionState.Connected || timeout <= TimeSpan.Zero)
        {
            return;
        }

        using var bound = new CancellationTokenSource(timeout, _time);
        try
        {
            await _session.DisconnectAsync(bound.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException or IOException or InvalidOperationException or ObjectDisposedException)
        {
            BridgeLog.DisconnectUnacknowledged(_logger, ex);
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (_session is not null)
        {
            await _session.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void OnMessage(int length)
    {
        int packets = Surbs.RecordReply(length);
        _metrics.ReplyReceived(packets);
        Liveness.OnHeard();
    }
}
