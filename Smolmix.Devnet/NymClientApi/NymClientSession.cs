using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Smolmix.Devnet.Mixnet;
using Smolmix.Nym;

namespace Smolmix.Devnet.NymClientApi;

/// <summary>
/// One WebSocket client of the Devnet's nym-client endpoint: a fresh Nym address on the mixnet
/// for as long as the socket lives, one sender tag per destination (reused for every anonymous
/// message to it, as nym-client does), binary and text requests, and mixnet messages pushed as
/// <c>Received</c> in the format of the client's most recent request.
/// </summary>
internal sealed class NymClientSession : IMixnetEndpoint
{
    /// <summary>Outbound frames queued before further mixnet messages are dropped.</summary>
    public const int OutboundCapacity = 65536;

    /// <summary>The largest request accepted.</summary>
    public const int MaxRequestSize = 32 * 1024 * 1024;

    private readonly WebSocket _socket;
    private readonly MixnetModel _mixnet;
    private readonly NymKeyFactory _keys;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<NymAddress, SenderTag> _senderTags = [];
    private readonly Channel<(byte[] Bytes, WebSocketMessageType Type)> _outbound =
        Channel.CreateBounded<(byte[], WebSocketMessageType)>(new BoundedChannelOptions(OutboundCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });

    private volatile bool _textMode;
    private volatile bool _closed;
    private long _droppedDeliveries;

    public NymClientSession(WebSocket socket, NymAddress address, MixnetModel mixnet, NymKeyFactory keys, ILogger logger)
    {
        _socket = socket;
        Address = address;
        _mixnet = mixnet;
        _keys = keys;
        _logger = logger;
    }

    /// <inheritdoc />
    public NymAddress Address { get; }

    /// <summary>Mixnet messages dropped because the client did not read fast enough.</summary>
    public long DroppedDeliveries => Interlocked.Read(ref _droppedDeliveries);

    /// <inheritdoc />
    public void Deliver(MixnetDelivery delivery)
    {
        var received = new NymClientResponse.Received(delivery.SenderTag, delivery.Message);
        if (!Enqueue(received) && !_closed)
        {
            Interlocked.Increment(ref _droppedDeliveries);
            _logger.LogWarning("A WebSocket client is not reading; dropped a mixnet message.");
        }
    }

    /// <summary>Serves the socket until it closes or <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        _mixnet.Register(this, _mixnet.Options.SendingInterval);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task sender = SendLoopAsync(stop.Token);
        try
        {
            await ReceiveLoopAsync(stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            _logger.LogDebug(ex, "A WebSocket client went away.");
        }
        finally
        {
            _closed = true;
            _mixnet.Unregister(this);
            _outbound.Writer.TryComplete();
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await sender.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
            {
                _logger.LogDebug(ex, "The WebSocket send loop ended with an error.");
            }
        }
    }

    /// <summary>The sender tag this client uses toward <paramref name="recipient"/>, created on first use.</summary>
    internal SenderTag SenderTagFor(NymAddress recipient)
    {
        lock (_gate)
        {
            if (!_senderTags.TryGetValue(recipient, out SenderTag tag))
            {
                tag = _keys.NewSenderTag();
                _senderTags[recipient] = tag;
            }

            return tag;
        }
    }

    private static NymClientErrorKind Classify(ReadOnlySpan<byte> frame, NymProtocolException error)
    {
        if (frame.IsEmpty)
        {
            return NymClientErrorKind.EmptyRequest;
        }

        if (frame[0] > NymClientRequest.GetLaneQueueLengthTag)
        {
            return NymClientErrorKind.UnknownRequest;
        }

        return error.Message.Contains("truncated", StringComparison.OrdinalIgnoreCase) ? NymClientErrorKind.TooShortRequest : NymClientErrorKind.MalformedRequest;
    }

    private async Task ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        byte[] chunk = ArrayPool<byte>.Shared.Rent(64 * 1024);
        var message = new ArrayBufferWriter<byte>(64 * 1024);
        try
        {
            while (true)
            {
                ValueWebSocketReceiveResult result = await _socket.ReceiveAsync(chunk.AsMemory(), cancellationToken).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    if (_socket.State == WebSocketState.CloseReceived)
                    {
                        await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken).ConfigureAwait(false);
                    }

                    return;
                }

                if (message.WrittenCount + result.Count > MaxRequestSize)
                {
                    await _socket.CloseOutputAsync(WebSocketCloseStatus.MessageTooBig, "request too large", cancellationToken).ConfigureAwait(false);
                    return;
                }

                message.Write(chunk.AsSpan(0, result.Count));
                if (!result.EndOfMessage)
                {
                    continue;
                }

                byte[] frame = message.WrittenSpan.ToArray();
                message.ResetWrittenCount();
                if (result.MessageType == WebSocketMessageType.Text)
                {
                    HandleText(Encoding.UTF8.GetString(frame));
                }
                else
                {
                    HandleBinary(frame);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private void HandleBinary(byte[] frame)
    {
        _textMode = false;
        NymClientRequest request;
        try
        {
            if (frame.Length == 0)
            {
                throw new NymProtocolException("the received request is empty");
            }

            request = NymClientRequest.Decode(frame);
        }
        catch (NymProtocolException ex)
        {
            Enqueue(new NymClientResponse.Error(Classify(frame, ex), ex.Message));
            return;
        }

        Handle(request);
    }

    private void HandleText(string text)
    {
        _textMode = true;
        NymClientRequest? request = NymClientTextProtocol.Parse(text, out NymClientErrorKind kind, out string? error);
        if (request is null)
        {
            Enqueue(new NymClientResponse.Error(kind, error ?? "invalid request"));
            return;
        }

        Handle(request);
    }

    private void Handle(NymClientRequest request)
    {
        switch (request)
        {
            case NymClientRequest.Send send:
                _mixnet.Send(Address, send.Recipient, send.Message, null, 0, send.ConnectionId);
                ReportLane(send.ConnectionId);
                break;
            case NymClientRequest.SendAnonymous anonymous:
                _mixnet.Send(Address, anonymous.Recipient, anonymous.Message, SenderTagFor(anonymous.Recipient), anonymous.ReplySurbs, anonymous.ConnectionId);
                ReportLane(anonymous.ConnectionId);
                break;
            case NymClientRequest.Reply reply:
                if (!_mixnet.Reply(Address, reply.SenderTag, reply.Message, reply.ConnectionId))
                {
                    _logger.LogWarning("A reply was requested for a sender tag without reply SURBs; dropped.");
                }

                ReportLane(reply.ConnectionId);
                break;
            case NymClientRequest.SelfAddress:
                Enqueue(new NymClientResponse.SelfAddress(Address));
                break;
            case NymClientRequest.GetLaneQueueLength lane:
                Enqueue(new NymClientResponse.LaneQueueLength(lane.ConnectionId, (ulong)_mixnet.LaneQueueLength(Address, lane.ConnectionId)));
                break;
            case NymClientRequest.ClosedConnection:
                break;
        }
    }

    private void ReportLane(ulong connectionId)
    {
        if (connectionId != 0)
        {
            Enqueue(new NymClientResponse.LaneQueueLength(connectionId, (ulong)_mixnet.LaneQueueLength(Address, connectionId)));
        }
    }

    private bool Enqueue(NymClientResponse response)
    {
        (byte[], WebSocketMessageType) frame = _textMode
            ? (Encoding.UTF8.GetBytes(NymClientTextProtocol.Encode(response)), WebSocketMessageType.Text)
            : (response.ToArray(), WebSocketMessageType.Binary);
        return _outbound.Writer.TryWrite(frame);
    }

    private async Task SendLoopAsync(CancellationToken cancellationToken)
    {
        await foreach ((byte[] bytes, WebSocketMessageType type) in _outbound.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            await _socket.SendAsync(bytes, type, endOfMessage: true, cancellationToken).ConfigureAwait(false);
        }
    }
}
