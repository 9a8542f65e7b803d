using System.Net.WebSockets;

namespace Smolmix.Nym;

/// <summary>Settings for <see cref="NymClientConnection"/>.</summary>
internal sealed record NymClientConnectionOptions
{
    /// <summary>nym-client's default WebSocket endpoint.</summary>
    public static readonly Uri DefaultEndpoint = new("ws://127.0.0.1:1977");

    /// <summary>The nym-client WebSocket endpoint.</summary>
    public Uri Endpoint { get; init; } = DefaultEndpoint;

    /// <summary>Bound on each WebSocket connect attempt.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Bound on a request that waits for nym-client's answer (self address, lane queue length).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Bound on a send, including any wait for a reconnection.</summary>
    public TimeSpan SendTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Delay before the first reconnection attempt; doubled after each failure.</summary>
    public TimeSpan ReconnectInitialDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Upper bound on the delay between reconnection attempts.</summary>
    public TimeSpan ReconnectMaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Consecutive failed reconnection attempts after which the connection gives up; null retries forever.</summary>
    public int? MaxReconnectAttempts { get; init; }

    /// <summary>How many received mixnet messages may wait unread before the receive loop stops reading (back-pressure).</summary>
    public int ReceiveQueueCapacity { get; init; } = 4096;

    /// <summary>The largest WebSocket message accepted from nym-client; larger ones are discarded.</summary>
    public int MaxMessageSize { get; init; } = 16 * 1024 * 1024;

    /// <summary>Bound on the closing handshake when disposing.</summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>WebSocket keep-alive (ping) interval of the default client; zero disables it.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The proxy for the default client's WebSocket; null (default) connects directly, whatever HTTP_PROXY, HTTPS_PROXY, ALL_PROXY or the system say.</summary>
    public System.Net.IWebProxy? Proxy { get; init; }

    /// <summary>Rate limits of repeated warnings, shared across connections; null gives this connection its own.</summary>
    public NymClientLogLimits? LogLimits { get; init; }

    /// <summary>Opens the WebSocket; null uses <see cref="ClientWebSocket"/>. Lets tests and the devnet supply their own transport.</summary>
    public Func<Uri, CancellationToken, ValueTask<WebSocket>>? WebSocketFactory { get; init; }

    /// <summary>Checks that every setting is in range.</summary>
    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Endpoint);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ConnectTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RequestTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(SendTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(ReconnectInitialDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(ReconnectMaxDelay, ReconnectInitialDelay);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxReconnectAttempts ?? 0, 0);
        ArgumentOutOfRangeException.ThrowIfLessThan(ReceiveQueueCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxMessageSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(CloseTimeout, TimeSpan.Zero);
    }
}

/// <summary>The lifecycle of a <see cref="NymClientConnection"/>.</summary>
internal enum NymClientConnectionState
{
    /// <summary>A WebSocket to nym-client is open.</summary>
    Connected,

    /// <summary>The WebSocket dropped; reconnection attempts are under way.</summary>
    Reconnecting,

    /// <summary>Reconnection gave up; the connection is unusable.</summary>
    Failed,

    /// <summary>The connection was disposed.</summary>
    Disposed,
}
