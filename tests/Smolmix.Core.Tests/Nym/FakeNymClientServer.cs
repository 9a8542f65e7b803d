using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Smolmix.Nym;

namespace Smolmix.Tests.Nym;

/// <summary>
/// A stand-in for nym-client's WebSocket API on 127.0.0.1 (ephemeral port): a raw TCP listener,
/// a hand-written HTTP upgrade, then <see cref="WebSocket.CreateFromStream(Stream, WebSocketCreationOptions)"/>
/// speaking the binary request/response frames.
/// </summary>
internal sealed class FakeNymClientServer : IAsyncDisposable
{
    private const string WebSocketGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    private System.Net.Sockets.TcpListener _listener;
    private readonly CancellationTokenSource _cts = new();
    private Task _acceptLoop;
    private int _upgrades;
    private volatile bool _paused;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Lock _gate = new();
    private readonly List<Task> _connections = [];
    private WebSocket? _current;
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _connectionCount;

    public FakeNymClientServer()
    {
        _listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Endpoint = new Uri($"ws://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _acceptLoop = AcceptLoopAsync();
    }

    public Uri Endpoint { get; }

    /// <summary>Every decoded request, in arrival order.</summary>
    public Channel<NymClientRequest> Requests { get; } = Channel.CreateUnbounded<NymClientRequest>();

    public NymAddress SelfAddress { get; set; } = NymAddress.Parse(Vectors.CytB);

    /// <summary>Whether decoded requests are kept in <see cref="Requests"/> (turn off for bulk transfers).</summary>
    public bool RecordRequests { get; set; } = true;

    public bool AnswerSelfAddress { get; set; } = true;

    public ulong LaneQueueLength { get; set; }

    /// <summary>When set, the WebSocket upgrade completes and then the server sends invalid framing and hangs up (a misbehaving endpoint).</summary>
    public bool SendGarbageAfterUpgrade { get; set; }

    /// <summary>How many WebSocket upgrades were completed (including garbage ones).</summary>
    public int Upgrades => Volatile.Read(ref _upgrades);

    /// <summary>Stops listening: connects are refused (ECONNREFUSED), as when nym-client is not running.</summary>
    public void StopListening()
    {
        _paused = true;
        _listener.Stop();
    }

    /// <summary>Listens again on the same port.</summary>
    public void ResumeListening()
    {
        _listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, Endpoint.Port); // same port (a restarted listener would pick a new ephemeral one)
        _listener.Start();
        _paused = false;
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>When set, upgrade requests are refused with HTTP 503.</summary>
    public bool RejectConnections { get; set; }

    /// <summary>Called for every Send, SendAnonymous and Reply; may push responses (e.g. a fake exit).</summary>
    public Func<NymClientRequest, Task>? OnMessage { get; set; }

    public int ConnectionCount => Volatile.Read(ref _connectionCount);

    public NymClientConnectionOptions Options(TimeSpan? reconnectDelay = null) => new()
    {
        Endpoint = Endpoint,
        ReconnectInitialDelay = reconnectDelay ?? TimeSpan.FromMilliseconds(10),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(100),
    };

    /// <summary>Waits until at least <paramref name="count"/> WebSocket sessions have been accepted.</summary>
    public async Task WaitForConnectionsAsync(int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (ConnectionCount < count)
        {
            Task next;
            lock (_gate)
            {
                next = _connected.Task;
            }

            if (ConnectionCount >= count)
            {
                break;
            }

            await next.WaitAsync(timeout.Token);
        }
    }

    public async Task<T> NextRequestAsync<T>()
        where T : NymClientRequest
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        NymClientRequest request = await Requests.Reader.ReadAsync(timeout.Token);
        return Assert.IsType<T>(request);
    }

    public Task PushAsync(NymClientResponse response) => PushRawAsync(response.ToArray(), WebSocketMessageType.Binary);

    public async Task PushRawAsync(byte[] frame, WebSocketMessageType type = WebSocketMessageType.Binary)
    {
        WebSocket socket = _current ?? throw new InvalidOperationException("No client connected.");
        await _sendLock.WaitAsync();
        try
        {
            await socket.SendAsync(frame, type, endOfMessage: true, _cts.Token);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Kills the current WebSocket without a closing handshake.</summary>
    public void DropConnection() => _current?.Abort();

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync();
        _listener.Stop();
        _current?.Abort();
        try
        {
            await _acceptLoop;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        Task[] connections;
        lock (_gate)
        {
            connections = [.. _connections];
        }

        await Task.WhenAll(connections).WaitAsync(TimeSpan.FromSeconds(5));
        _cts.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_cts.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_cts.Token);
            }
            catch (Exception ex) when (_paused && ex is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            lock (_gate)
            {
                _connections.Add(ServeAsync(client));
            }
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            NetworkStream stream = client.GetStream();
            try
            {
                string request = await ReadHttpHeadAsync(stream);
                string? key = request.Split("\r\n")
                    .Select(line => line.Split(':', 2))
                    .Where(parts => parts.Length == 2 && parts[0].Trim().Equals("Sec-WebSocket-Key", StringComparison.OrdinalIgnoreCase))
                    .Select(parts => parts[1].Trim())
                    .FirstOrDefault();
                if (RejectConnections || key is null)
                {
                    await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"), _cts.Token);
                    return;
                }

                string accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + WebSocketGuid)));
                await stream.WriteAsync(Encoding.ASCII.GetBytes(
                    $"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"), _cts.Token);
                Interlocked.Increment(ref _upgrades);
                if (SendGarbageAfterUpgrade)
                {
                    // Reserved bits and a reserved opcode: not a valid WebSocket frame.
                    await stream.WriteAsync(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }, _cts.Token);
                    return;
                }

                using WebSocket socket = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });
                TaskCompletionSource connected;
                lock (_gate)
                {
                    _current = socket;
                    Interlocked.Increment(ref _connectionCount);
                    connected = _connected;
                    _connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                connected.TrySetResult();
                await ReceiveLoopAsync(socket);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or WebSocketException or ObjectDisposedException)
            {
            }
        }
    }

    private async Task ReceiveLoopAsync(WebSocket socket)
    {
        var buffer = new byte[64 * 1024];
        var message = new ArrayBufferWriter<byte>();
        while (true)
        {
            ValueWebSocketReceiveResult result = await socket.ReceiveAsync(buffer.AsMemory(), _cts.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, _cts.Token);
                return;
            }

            message.Write(buffer.AsSpan(0, result.Count));
            if (!result.EndOfMessage)
            {
                continue;
            }

            byte[] frame = message.WrittenSpan.ToArray();
            message.ResetWrittenCount();
            NymClientRequest request;
            try
            {
                request = NymClientRequest.Decode(frame);
            }
            catch (NymProtocolException ex)
            {
                await PushAsync(new NymClientResponse.Error(NymClientErrorKind.MalformedRequest, ex.Message));
                continue;
            }

            if (RecordRequests)
            {
                Requests.Writer.TryWrite(request);
            }

            switch (request)
            {
                case NymClientRequest.SelfAddress when AnswerSelfAddress:
                    await PushAsync(new NymClientResponse.SelfAddress(SelfAddress));
                    break;
                case NymClientRequest.GetLaneQueueLength lane:
                    await PushAsync(new NymClientResponse.LaneQueueLength(lane.ConnectionId, LaneQueueLength));
                    break;
                case NymClientRequest.Send or NymClientRequest.SendAnonymous or NymClientRequest.Reply:
                    ulong connection = request switch
                    {
                        NymClientRequest.Send s => s.ConnectionId,
                        NymClientRequest.SendAnonymous a => a.ConnectionId,
                        NymClientRequest.Reply r => r.ConnectionId,
                        _ => 0,
                    };
                    if (connection != 0)
                    {
                        await PushAsync(new NymClientResponse.LaneQueueLength(connection, LaneQueueLength));
                    }

                    if (OnMessage is { } hook)
                    {
                        await hook(request);
                    }

                    break;
            }
        }
    }

    private async Task<string> ReadHttpHeadAsync(NetworkStream stream)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (bytes.Count < 8192)
        {
            int read = await stream.ReadAsync(one, _cts.Token);
            if (read == 0)
            {
                throw new IOException("Connection closed during the HTTP upgrade.");
            }

            bytes.Add(one[0]);
            int n = bytes.Count;
            if (n >= 4 && bytes[n - 4] == '\r' && bytes[n - 3] == '\n' && bytes[n - 2] == '\r' && bytes[n - 1] == '\n')
            {
                return Encoding.ASCII.GetString([.. bytes]);
            }
        }

        throw new IOException("HTTP upgrade request too large.");
    }
}
