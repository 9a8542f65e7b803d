using System.Net;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Smolmix.Devices;
using Smolmix.Devnet.Mixnet;
using Smolmix.Nym;
using Smolmix.Wire;

namespace Smolmix.Devnet.Exit;

/// <summary>
/// An IP packet router exit on the Devnet mixnet, following the real one's message handling
/// (ipr-protocol.md §1.6): LP stream detection, version and service-provider checks, the sender
/// tag requirement and the framing rule (violations are dropped without an answer); connect with
/// allocation from 10.0.0.0/16 and fc00::/112 (a stream connect replaces the session, a raw one
/// returns the existing addresses), disconnect, ping (no activity refresh), health; data bundles
/// split, checked, matched to a client by source address, filtered by the exit policy and written
/// to the egress; return packets bundled per client on its buffer timeout and sent on its stream
/// with sequence numbers 1, 2, …; clients silent for 60 s dropped by a 10 s sweep.
/// </summary>
internal sealed class IprExit : IMixnetEndpoint, IAsyncDisposable
{
    private const int InboundCapacity = 65536;

    private readonly IprExitOptions _options;
    private readonly MixnetModel _mixnet;
    private readonly IPacketDevice _egress;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly AddressAllocator _allocator;
    private readonly long _origin;
    private readonly Lock _gate = new();
    private readonly Dictionary<SenderTag, IprClient> _byTag = [];
    private readonly Dictionary<IpAddr, IprClient> _byAddress = [];
    private readonly Dictionary<ExitDropReason, long> _drops = [];
    private readonly Channel<MixnetDelivery> _inbound = Channel.CreateBounded<MixnetDelivery>(new BoundedChannelOptions(InboundCapacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.DropWrite,
    });

    private readonly CancellationTokenSource _lifetime = new();
    private ITimer? _inactivityTimer;
    private Task _processLoop = Task.CompletedTask;
    private Task _egressLoop = Task.CompletedTask;
    private long _messagesReceived;
    private long _openFrames;
    private long _allocations;
    private long _inactivityDisconnects;
    private long _packetsToEgress;
    private long _packetsFromEgress;
    private long _dataResponses;
    private long _controlReplies;

    private IprExit(NymAddress address, IprExitOptions options, MixnetModel mixnet, IPacketDevice egress, Func<int> addressPicker, TimeProvider time, ILogger logger)
    {
        Address = address;
        _options = options;
        _mixnet = mixnet;
        _egress = egress;
        _allocator = new AddressAllocator(addressPicker);
        _time = time;
        _logger = logger;
        _origin = time.GetTimestamp();
    }

    /// <inheritdoc />
    public NymAddress Address { get; }

    private TimeSpan Now => _time.GetElapsedTime(_origin);

    /// <summary>Registers the exit on the mixnet and starts its loops.</summary>
    public static IprExit Start(NymAddress address, IprExitOptions options, MixnetModel mixnet, IPacketDevice egress, Func<int> addressPicker, TimeProvider time, ILogger logger)
    {
        var exit = new IprExit(address, options, mixnet, egress, addressPicker, time, logger);
        mixnet.Register(exit, mixnet.Options.ExitSendingInterval);
        exit._processLoop = exit.ProcessLoopAsync(exit._lifetime.Token);
        exit._egressLoop = exit.EgressLoopAsync(exit._lifetime.Token);
        exit._inactivityTimer = time.CreateTimer(static s => ((IprExit)s!).SweepInactive(), exit, options.InactivityCheckInterval, options.InactivityCheckInterval);
        return exit;
    }

    /// <inheritdoc />
    public void Deliver(MixnetDelivery delivery)
    {
        if (!_inbound.Writer.TryWrite(delivery))
        {
            _logger.LogWarning("The exit's inbound queue is full; a message was dropped.");
        }
    }

    /// <summary>A snapshot of the counters.</summary>
    public ExitCounters Snapshot()
    {
        lock (_gate)
        {
            return new ExitCounters
            {
                MessagesReceived = _messagesReceived,
                OpenFrames = _openFrames,
                Allocations = _allocations,
                ActiveClients = _byTag.Count,
                InactivityDisconnects = _inactivityDisconnects,
                PacketsToEgress = _packetsToEgress,
                PacketsFromEgress = _packetsFromEgress,
                DataResponses = _dataResponses,
                ControlReplies = _controlReplies,
                Drops = new Dictionary<ExitDropReason, long>(_drops),
            };
        }
    }

    /// <summary>The connected clients' addresses, for diagnostics and tests.</summary>
    internal IReadOnlyList<(SenderTag Tag, IPAddress Ipv4, IPAddress Ipv6)> Clients()
    {
        lock (_gate)
        {
            return [.. _byTag.Values.Select(c => (c.Tag, c.Ipv4.ToIPAddress(), c.Ipv6.ToIPAddress()))];
        }
    }

    /// <summary>Stops the loops and timers and unregisters from the mixnet.</summary>
    public async ValueTask DisposeAsync()
    {
        _mixnet.Unregister(this);
        _inbound.Writer.TryComplete();
        await _lifetime.CancelAsync().ConfigureAwait(false);
        if (_inactivityTimer is not null)
        {
            await _inactivityTimer.DisposeAsync().ConfigureAwait(false);
        }

        try
        {
            await Task.WhenAll(_processLoop, _egressLoop).WaitAsync(TimeSpan.FromSeconds(5), _time).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException or ObjectDisposedException)
        {
            _logger.LogDebug(ex, "The exit loops stopped.");
        }

        lock (_gate)
        {
            foreach (IprClient client in _byTag.Values)
            {
                client.Dispose();
            }

            _byTag.Clear();
            _byAddress.Clear();
        }

        _lifetime.Dispose();
    }

    private async Task ProcessLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (MixnetDelivery delivery in _inbound.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await HandleAsync(delivery, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    _logger.LogError(ex, "The exit failed to handle a message.");
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task HandleAsync(MixnetDelivery delivery, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _messagesReceived++;
        }

        ReadOnlyMemory<byte> payload = delivery.Message;
        ulong? streamId = null;
        if (LpFrame.IsStreamFrame(payload.Span))
        {
            LpFrame frame;
            try
            {
                LpFrame.TryDecode(payload, out frame);
            }
            catch (NymProtocolException ex)
            {
                Drop(ExitDropReason.InvalidLpFrame, ex.Message);
                return;
            }

            if (frame.Payload.IsEmpty)
            {
                lock (_gate)
                {
                    _openFrames++;
                }

                _logger.LogDebug("New LP stream {Stream:x16} opened.", frame.StreamId);
                return;
            }

            streamId = frame.StreamId;
            payload = frame.Payload;
        }

        ReadOnlySpan<byte> bytes = payload.Span;
        if (bytes.IsEmpty)
        {
            Drop(ExitDropReason.MalformedRequest, "empty message");
            return;
        }

        byte version = bytes[0];
        if (version >= IprVersion.V8 && (bytes.Length < 2 || bytes[1] != IprRequest.IpPacketRouterType))
        {
            Drop(ExitDropReason.InvalidServiceProviderType, $"service provider byte of a v{version} request");
            return;
        }

        if (!IprVersion.IsSupported(version))
        {
            Drop(ExitDropReason.UnsupportedVersion, $"v{version}");
            return;
        }

        if (delivery.SenderTag is not { } tag)
        {
            Drop(ExitDropReason.MissingSenderTag, $"v{version} request without a sender tag");
            return;
        }

        if (streamId.HasValue != IprVersion.RequiresStreamFraming(version))
        {
            Drop(ExitDropReason.FramingViolation, streamId.HasValue ? $"LP-framed v{version}" : $"unframed v{version}");
            return;
        }

        IprRequest request;
        try
        {
            request = IprRequest.Decode(payload);
        }
        catch (NymProtocolException ex)
        {
            Drop(ExitDropReason.MalformedRequest, ex.Message);
            return;
        }

        switch (request)
        {
            case IprDataRequest data:
                await ForwardAsync(tag, streamId, data, cancellationToken).ConfigureAwait(false);
                break;
            case IprConnectRequest connect:
                Connect(tag, streamId, connect);
                break;
            case IprDisconnectRequest disconnect:
                Disconnect(tag, streamId, disconnect);
                break;
            case IprPingRequest ping:
                ReplyInline(tag, streamId, new IprPongResponse(ping.Version, ping.RequestId));
                break;
            case IprHealthRequest health:
                ReplyInline(tag, streamId, new IprHealthResponse(health.Version, health.RequestId, _options.BuildInfo, null));
                break;
        }
    }

    private void Connect(SenderTag tag, ulong? streamId, IprConnectRequest connect)
    {
        IprResponse reply;
        lock (_gate)
        {
            if (_byTag.TryGetValue(tag, out IprClient? existing))
            {
                if (streamId is null)
                {
                    // A raw (v8) connect from a connected tag: same addresses, no new handler.
                    ReplyInline(tag, streamId, Success(connect, existing.Ipv4, existing.Ipv6));
                    return;
                }

                // A stream connect: the old handler's stream is stale; start over with new addresses.
                Remove(existing);
            }

            if (!_allocator.TryAllocate(_byAddress.ContainsKey, out IpAddr v4, out IpAddr v6))
            {
                reply = new IprConnectFailure(connect.Version, connect.RequestId, IprConnectFailureReason.NoAvailableIp, null);
            }
            else
            {
                var client = new IprClient(tag, connect.Version, streamId, v4, v6, Now);
                TimeSpan period = connect.BufferTimeoutMs is { } ms ? TimeSpan.FromMilliseconds(ms) : _options.DefaultBufferTimeout;
                client.Bundler = new ReturnBundler(_gate, _time, () => Now, period, bundle => SendData(client, bundle));
                _byTag[tag] = client;
                _byAddress[v4] = client;
                _byAddress[v6] = client;
                _allocations++;
                reply = Success(connect, v4, v6);
                _logger.LogDebug("Allocated {V4} / {V6} to a v{Version} client.", v4, v6, connect.Version);
            }

            ReplyInline(tag, streamId, reply);
        }
    }

    private IprConnectSuccess Success(IprConnectRequest connect, IpAddr v4, IpAddr v6)
        => new(connect.Version, connect.RequestId, v4.ToIPAddress(), v6.ToIPAddress(), IprVersion.HasMtu(connect.Version) ? _options.Mtu : null);

    private void Disconnect(SenderTag tag, ulong? streamId, IprDisconnectRequest disconnect)
    {
        lock (_gate)
        {
            if (_byTag.TryGetValue(tag, out IprClient? client))
            {
                Remove(client);
                ReplyInline(tag, streamId, new IprDisconnectResponse(disconnect.Version, disconnect.RequestId, null, null));
            }
            else
            {
                ReplyInline(tag, streamId, new IprDisconnectResponse(disconnect.Version, disconnect.RequestId, IprDisconnectFailureReason.ClientNotConnected, null));
            }
        }
    }

    private async Task ForwardAsync(SenderTag tag, ulong? streamId, IprDataRequest data, CancellationToken cancellationToken)
    {
        var reader = new PacketBundleReader(data.Bundle);
        while (reader.TryReadNext(out ReadOnlyMemory<byte> packet))
        {
            if (!PacketInspector.TryInspect(packet.Span, out PacketInfo info))
            {
                Drop(ExitDropReason.InvalidPacket, "not an IP packet with a transport header");
                continue;
            }

            lock (_gate)
            {
                if (!_byAddress.TryGetValue(info.Source, out IprClient? client))
                {
                    Drop(ExitDropReason.UnknownSource, "packet from an unallocated address");
                    continue;
                }

                client.LastActivity = Now;
                IPAddress destination = info.Destination.ToIPAddress();
                if (!_options.ExitPolicy.Allows(destination, info.DestinationPort))
                {
                    Drop(ExitDropReason.ExitPolicy, "rejected by the exit policy");
                    string target = new IPEndPoint(destination, info.DestinationPort).ToString();
                    ReplyInline(client.Tag, streamId, new IprInfoResponse(data.Version, 0, new IprInfoExitPolicyFilterCheckFailed(target), IprInfoLevel.Warn));
                    continue;
                }

                _packetsToEgress++;
            }

            try
            {
                await _egress.WriteAsync(packet, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ArgumentException or IOException)
            {
                _logger.LogDebug(ex, "The egress refused a packet.");
            }
        }

        if (reader.IsTruncated)
        {
            _logger.LogDebug("A data bundle ended with a truncated record ({Bytes} bytes); ignored.", reader.RemainingLength);
        }
    }

    private async Task EgressLoopAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[65536];
        try
        {
            while (true)
            {
                int length = await _egress.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (length == 0)
                {
                    return;
                }

                if (!PacketInspector.TryReadDestination(buffer.AsSpan(0, length), out IpAddr destination))
                {
                    continue;
                }

                lock (_gate)
                {
                    if (!_byAddress.TryGetValue(destination, out IprClient? client))
                    {
                        Drop(ExitDropReason.Unroutable, "egress packet for an unallocated address");
                        continue;
                    }

                    _packetsFromEgress++;
                    client.Bundler!.Add(buffer.AsSpan(0, length));
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Sends a return bundle on the client's stream with its next sequence number. Caller holds the lock.</summary>
    private void SendData(IprClient client, byte[] bundle)
    {
        byte[] response = new IprDataResponse(client.Version, bundle).ToArray();
        uint sequence = client.StreamId.HasValue ? client.NextSequence() : 0;
        _dataResponses++;
        client.DataResponses++;
        _mixnet.Reply(Address, client.Tag, IprMessageReader.Frame(response, client.StreamId, sequence), 0);
    }

    /// <summary>Sends an inline control reply: the request's version, its stream, sequence 0.</summary>
    private void ReplyInline(SenderTag tag, ulong? streamId, IprResponse response)
    {
        lock (_gate)
        {
            _controlReplies++;
        }

        _mixnet.Reply(Address, tag, IprMessageReader.Frame(response.ToArray(), streamId, 0), 0);
    }

    private void SweepInactive()
    {
        lock (_gate)
        {
            TimeSpan now = Now;
            foreach (IprClient client in _byTag.Values.Where(c => now - c.LastActivity > _options.InactivityTimeout).ToList())
            {
                _logger.LogDebug("Dropping the client at {V4} after {Idle} without data.", client.Ipv4, now - client.LastActivity);
                Remove(client);
                _inactivityDisconnects++;
            }
        }
    }

    /// <summary>Frees a client's addresses and stops its return path. Caller holds the lock.</summary>
    private void Remove(IprClient client)
    {
        _byTag.Remove(client.Tag);
        _byAddress.Remove(client.Ipv4);
        _byAddress.Remove(client.Ipv6);
        client.Dispose();
    }

    private void Drop(ExitDropReason reason, string detail)
    {
        lock (_gate)
        {
            _drops[reason] = _drops.GetValueOrDefault(reason) + 1;
        }

        _logger.LogDebug("Exit dropped a message ({Reason}): {Detail}.", reason, detail);
    }
}
