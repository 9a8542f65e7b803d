using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using Smolmix.Devnet.Mixnet;
using Smolmix.Nym;

namespace Smolmix.Devnet.NymClientApi;

/// <summary>
/// The Devnet's nym-client: a WebSocket server on 127.0.0.1 (raw TCP listener, hand-written
/// upgrade, <see cref="WebSocket.CreateFromStream(Stream, WebSocketCreationOptions)"/>) that gives
/// each WebSocket client its own <see cref="NymClientSession"/> and Nym address.
/// </summary>
internal sealed class NymClientServer : IAsyncDisposable
{
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    private readonly System.Net.Sockets.TcpListener _listener;
    private readonly MixnetModel _mixnet;
    private readonly NymKeyFactory _keys;
    private readonly byte[] _gatewayKey;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly ConcurrentDictionary<Task, bool> _connections = new();
    private readonly ConcurrentDictionary<NymClientSession, bool> _sessions = new();
    private Task _acceptLoop = Task.CompletedTask;
    private long _accepted;

    private NymClientServer(System.Net.Sockets.TcpListener listener, MixnetModel mixnet, NymKeyFactory keys, byte[] gatewayKey, TimeProvider time, ILogger logger)
    {
        _listener = listener;
        _mixnet = mixnet;
        _keys = keys;
        _gatewayKey = gatewayKey;
        _time = time;
        _logger = logger;
        Endpoint = (IPEndPoint)listener.LocalEndpoint;
        Uri = new Uri($"ws://127.0.0.1:{Endpoint.Port}");
    }

    /// <summary>The listening endpoint.</summary>
    public IPEndPoint Endpoint { get; }

    /// <summary>The WebSocket URI clients connect to.</summary>
    public Uri Uri { get; }

    /// <summary>WebSocket clients accepted so far.</summary>
    public long SessionsAccepted => Interlocked.Read(ref _accepted);

    /// <summary>WebSocket clients connected now.</summary>
    public int ActiveSessions => _sessions.Count;

    /// <summary>The sessions connected now.</summary>
    internal IEnumerable<NymClientSession> Sessions => _sessions.Keys;

    /// <summary>Listens on 127.0.0.1:<paramref name="port"/> (0 = any free port).</summary>
    /// <exception cref="SocketException">The port is taken.</exception>
    public static NymClientServer Start(int port, MixnetModel mixnet, NymKeyFactory keys, byte[] gatewayKey, TimeProvider time, ILogger logger)
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, port);
        listener.Start();
        var server = new NymClientServer(listener, mixnet, keys, gatewayKey, time, logger);
        server._acceptLoop = server.AcceptLoopAsync();
        return server;
    }

    /// <summary>Stops listening and closes every session (bounded).</summary>
    public async ValueTask DisposeAsync()
    {
        await _lifetime.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        try
        {
            await _acceptLoop.WaitAsync(StopTimeout, _time).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException or TimeoutException)
        {
            _logger.LogDebug(ex, "The nym-client accept loop stopped.");
        }

        try
        {
            await Task.WhenAll(_connections.Keys).WaitAsync(StopTimeout, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _logger.LogWarning("Some WebSocket sessions did not close within {Timeout}.", StopTimeout);
        }

        _lifetime.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        CancellationToken stop = _lifetime.Token;
        while (!stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(stop).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException || (ex is SocketException && stop.IsCancellationRequested))
            {
                return;
            }
            catch (SocketException ex)
            {
                _logger.LogDebug(ex, "Accepting a WebSocket client failed.");
                continue;
            }

            Task serve = ServeAsync(client, stop);
            _connections.TryAdd(serve, true);
            _ = serve.ContinueWith(static (t, s) => ((ConcurrentDictionary<Task, bool>)s!).TryRemove(t, out _), _connections, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task ServeAsync(Socket client, CancellationToken stop)
    {
        await Task.Yield();
        client.NoDelay = true;
        using var stream = new NetworkStream(client, ownsSocket: true);
        try
        {
            using (var timeout = new CancellationTokenSource(HandshakeTimeout, _time))
            using (var handshake = CancellationTokenSource.CreateLinkedTokenSource(stop, timeout.Token))
            {
                if (!await WebSocketHandshake.AcceptAsync(stream, handshake.Token).ConfigureAwait(false))
                {
                    return;
                }
            }

            using WebSocket socket = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });
            NymAddress address = _keys.NewAddress(_gatewayKey);
            var session = new NymClientSession(socket, address, _mixnet, _keys, _logger);
            Interlocked.Increment(ref _accepted);
            _sessions.TryAdd(session, true);
            _logger.LogDebug("A WebSocket client connected as {Address}.", address);
            using CancellationTokenRegistration abort = stop.Register(static s => ((WebSocket)s!).Abort(), socket);
            try
            {
                await session.RunAsync(stop).ConfigureAwait(false);
            }
            finally
            {
                _sessions.TryRemove(session, out _);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException or WebSocketException or ObjectDisposedException)
        {
            _logger.LogDebug(ex, "A WebSocket client connection ended.");
        }
    }
}
