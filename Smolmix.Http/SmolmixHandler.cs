using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Net.Security;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Smolmix.Dns;
using Smolmix.Tls;

namespace Smolmix.Http;

/// <summary>
/// An <see cref="HttpMessageHandler"/> whose every connection goes through a Smolmix tunnel:
/// <c>new HttpClient(SmolmixHandler.Create(tunnel))</c>. Built on <see cref="SocketsHttpHandler"/>
/// (HTTP/1.1, HTTP/2 by ALPN, h2c by option, WebSocket and gRPC on top): host names are resolved
/// through the tunnel by <see cref="TunnelResolver"/>, several addresses are tried in turn, TLS
/// validates with an offline chain, environment proxies (<c>HTTP_PROXY</c>, <c>ALL_PROXY</c>, ...)
/// are ignored, and HTTP/3 (which would go over the host's own network) is never attempted.
/// </summary>
/// <remarks>
/// Errors are the ones <see cref="HttpClient"/> users know: an <see cref="HttpRequestException"/>
/// with <see cref="HttpRequestException.HttpRequestError"/> set (<see cref="HttpRequestError.NameResolutionError"/>
/// for a name that does not exist, <see cref="HttpRequestError.ConnectionError"/>,
/// <see cref="HttpRequestError.SecureConnectionError"/>) wrapping the <see cref="System.Net.Sockets.SocketException"/>
/// or TLS exception. Connections are opened within <see cref="SmolmixHandlerOptions.ConnectTimeout"/>.
/// Disposing the handler closes its connections; it never disposes the tunnel.
/// </remarks>
public sealed class SmolmixHandler : DelegatingHandler
{
    private readonly IVirtualNetwork _network;
    private readonly SmolmixHandlerOptions _options;
    private readonly bool _ownsResolver;
    private readonly ILogger _logger;
    private readonly ConditionalWeakTable<HttpRequestMessage, ConnectSteps> _steps = new();

    private SmolmixHandler(IVirtualNetwork network, SmolmixHandlerOptions options, SocketsHttpHandler inner, TunnelResolver resolver, bool ownsResolver)
        : base(inner)
    {
        _network = network;
        _options = options;
        Resolver = resolver;
        _ownsResolver = ownsResolver;
        _logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Smolmix.Http");
        inner.ConnectCallback = ConnectAsync;
        inner.PlaintextStreamFilter = ConnectionReadyAsync;
    }

    /// <summary>The resolver this handler uses (its cache and statistics).</summary>
    public TunnelResolver Resolver { get; }

    /// <summary>Creates a handler that sends every request through <paramref name="network"/>.</summary>
    /// <param name="network">A <see cref="Tunnel"/> (or a <see cref="NetStack"/>, for tests).</param>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <returns>The handler, for <c>new HttpClient(handler)</c>, a <c>GrpcChannel</c> or <c>ClientWebSocket.ConnectAsync</c>.</returns>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public static SmolmixHandler Create(IVirtualNetwork network, SmolmixHandlerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        options ??= new SmolmixHandlerOptions();
        options.Validate();
        var inner = new SocketsHttpHandler
        {
            UseProxy = false,
            Proxy = null,
            ConnectTimeout = options.ConnectTimeout,
            PooledConnectionIdleTimeout = options.PooledConnectionIdleTimeout,
            PooledConnectionLifetime = options.PooledConnectionLifetime,
            MaxConnectionsPerServer = options.MaxConnectionsPerServer,
            AutomaticDecompression = options.AutomaticDecompression,
            UseCookies = options.UseCookies,
            InitialHttp2StreamWindowSize = options.InitialHttp2StreamWindowSize,
            SslOptions = TunnelTls.CreateClientOptions(options.Tls),
        };
        bool owns = options.Resolver is null;
        TunnelResolver resolver = options.Resolver ?? new TunnelResolver(network, options.ResolverOptions);
        return new SmolmixHandler(network, options, inner, resolver, owns);
    }

    /// <inheritdoc />
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Prepare(request);
        return base.SendAsync(request, cancellationToken);
    }

    /// <inheritdoc />
    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Prepare(request);
        return base.Send(request, cancellationToken);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && _ownsResolver)
        {
            Resolver.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(5));
        }
    }

    /// <summary>
    /// Keeps every request off HTTP/3 (QUIC would use the host's own network and resolver): version 3
    /// is lowered to 2 and "or higher" becomes "or lower"; with <see cref="SmolmixHandlerOptions.PlaintextHttp2"/>,
    /// a plain http request that asks for no particular version speaks h2c.
    /// </summary>
    private void Prepare(HttpRequestMessage request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Version.Major >= 3)
        {
            request.Version = HttpVersion.Version20;
        }

        if (request.VersionPolicy == HttpVersionPolicy.RequestVersionOrHigher)
        {
            request.Version = request.Version.Major >= 2 ? request.Version : HttpVersion.Version20;
            request.VersionPolicy = HttpVersionPolicy.RequestVersionOrLower;
        }

        if (_options.PlaintextHttp2 && request.RequestUri is { Scheme: "http" or "ws" } && request.Version.Major < 2 && request.VersionPolicy == HttpVersionPolicy.RequestVersionOrLower)
        {
            request.Version = HttpVersion.Version20;
            request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        // The span covers the name lookup and the TCP connects (children); no host name in its tags.
        using Activity? activity = SmolmixDiagnostics.ActivitySource.StartActivity(SmolmixDiagnostics.HttpConnectActivity, ActivityKind.Client);
        activity?.SetTag("server.port", context.DnsEndPoint.Port);
        try
        {
            (Stream stream, int attempts) = await ConnectCoreAsync(context, cancellationToken).ConfigureAwait(false);
            activity?.SetTag("smolmix.http.connect_attempts", attempts);
            return stream;
        }
        catch (Exception ex)
        {
            activity?.SetTag("error.type", ex.GetType().Name);
            activity?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            throw;
        }
    }

    private async ValueTask<(Stream Stream, int Attempts)> ConnectCoreAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        string host = context.DnsEndPoint.Host;
        if (host.Length > 1 && host[^1] == '.')
        {
            host = host[..^1];
        }

        int port = context.DnsEndPoint.Port;
        long start = Stopwatch.GetTimestamp();
        IPAddress[] addresses = IPAddress.TryParse(host, out IPAddress? literal)
            ? [literal]
            : await Resolver.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        TimeSpan resolved = Stopwatch.GetElapsedTime(start);
        IPAddress[] ordered = ConnectionAttempts.Order(addresses, _network.IPv6Address is not null);
        HttpLog.Connecting(_logger, host, port, ordered.Length);
        long connectStart = Stopwatch.GetTimestamp();
        (TcpStream stream, int attempts) = await ConnectionAttempts.ConnectFirstAsync(_network, ordered, port, _options.ConnectionAttemptDelay, TimeProvider.System, cancellationToken).ConfigureAwait(false);
        if (_options.ConnectionEstablished is not null)
        {
            _steps.AddOrUpdate(context.InitialRequestMessage, new ConnectSteps(host, stream.RemoteEndPoint, resolved, Stopwatch.GetElapsedTime(connectStart), Stopwatch.GetTimestamp(), attempts));
        }

        return (stream, attempts);
    }

    private ValueTask<Stream> ConnectionReadyAsync(SocketsHttpPlaintextStreamFilterContext context, CancellationToken cancellationToken)
    {
        if (_options.ConnectionEstablished is { } callback && _steps.TryGetValue(context.InitialRequestMessage, out ConnectSteps? steps))
        {
            _steps.Remove(context.InitialRequestMessage);
            TimeSpan tls = context.PlaintextStream is SslStream ? Stopwatch.GetElapsedTime(steps.ConnectedAt) : TimeSpan.Zero;
            try
            {
                callback(new SmolmixConnectionInfo(steps.Host, steps.RemoteEndPoint, steps.Resolution, steps.Connect, tls, context.NegotiatedHttpVersion, steps.Attempts));
            }
            catch (Exception ex)
            {
                HttpLog.CallbackFailed(_logger, ex);
            }
        }

        return ValueTask.FromResult(context.PlaintextStream);
    }

    private sealed record ConnectSteps(string Host, IPEndPoint RemoteEndPoint, TimeSpan Resolution, TimeSpan Connect, long ConnectedAt, int Attempts);
}
