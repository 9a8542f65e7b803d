using System.Net;
using System.Net.WebSockets;
using Smolmix.Echo;
using Smolmix.Http.Tests.Support;

namespace Smolmix.Http.Tests.WebSockets;

/// <summary>One <see cref="HttpRig"/> serving <see cref="WebSocketEcho"/> at /ws, shared by a test class.</summary>
public sealed class WebSocketRig : IAsyncLifetime
{
    private HttpRig? _rig;

    internal HttpRig Rig => _rig ?? throw new InvalidOperationException("The rig is not started.");

    /// <summary>
    /// The echo's address and the HTTP version to ask for: "ws" (HTTP/1.1 upgrade on the plain port),
    /// "wss" (HTTP/1.1 upgrade over TLS), "wss-h2" (extended CONNECT over h2 by ALPN), "ws-h2c"
    /// (extended CONNECT over prior-knowledge HTTP/2).
    /// </summary>
    public (Uri Uri, Version Version) Endpoint(string transport) => transport switch
    {
        "ws" => (new Uri($"ws://{HttpRig.Http1Host}:{Rig.Site.Http1.Port}/ws"), HttpVersion.Version11),
        "wss" => (new Uri($"wss://{HttpRig.HttpsHost}:{Rig.Site.Https.Port}/ws"), HttpVersion.Version11),
        "wss-h2" => (new Uri($"wss://{HttpRig.HttpsHost}:{Rig.Site.Https.Port}/ws"), HttpVersion.Version20),
        "ws-h2c" => (new Uri($"ws://{HttpRig.H2cHost}:{Rig.Site.H2c.Port}/ws"), HttpVersion.Version20),
        _ => throw new ArgumentOutOfRangeException(nameof(transport), transport, null),
    };

    /// <summary>Connects a ClientWebSocket to the echo through <paramref name="invoker"/>.</summary>
    public async Task<ClientWebSocket> ConnectAsync(string transport, HttpMessageInvoker invoker, CancellationToken cancellationToken)
    {
        (Uri uri, Version version) = Endpoint(transport);
        var socket = new ClientWebSocket();
        if (version.Major >= 2)
        {
            // HTTP/1.1 (the default: 1.1 or lower) needs no settings.
            socket.Options.HttpVersion = version;
            socket.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }

        socket.Options.CollectHttpResponseDetails = true;
        try
        {
            await socket.ConnectAsync(uri, invoker, cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async Task InitializeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        _rig = await HttpRig.StartAsync(app => app.MapWebSocketEcho("/ws"), cancellationToken: cts.Token);
    }

    public async Task DisposeAsync()
    {
        if (_rig is not null)
        {
            await _rig.DisposeAsync();
        }
    }
}
