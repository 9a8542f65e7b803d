using System.Net;
using System.Net.Sockets;
using DnsClient;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Smolmix.Dns.DnsClient;

/// <summary>
/// An opt-in bridge for DnsClient.NET: a relay on <c>127.0.0.1</c> (UDP and TCP, one ephemeral port)
/// that sends every query it receives through a <see cref="TunnelResolver"/>, and the
/// <see cref="LookupClient"/>s that use it as their only name server. DnsClient has no public transport
/// seam, so a local socket is the only way to route its queries through the tunnel.
/// </summary>
/// <remarks>
/// <para>
/// Trade-off: the relay is a real local socket. Any process on the machine that finds the port can
/// resolve through the tunnel with it (it accepts loopback only). Queries take one more hop, over
/// loopback. A <see cref="LookupClient"/> made by <see cref="CreateLookupClient"/> only ever asks the
/// relay; but DnsClient's <c>QueryServer*</c> methods, and per-query options that name other servers,
/// bypass it and reach those servers directly, outside the tunnel: do not use them with this client.
/// </para>
/// <para>Thread-safe. Dispose it to close the sockets; clients made from it then stop getting answers.</para>
/// </remarks>
/// <example>
/// <code>
/// await using var resolver = new TunnelResolver(tunnel);
/// await using var relay = DnsClientRelay.Start(resolver);
/// LookupClient client = relay.CreateLookupClient();
/// IDnsQueryResponse mx = await client.QueryAsync("example.com", QueryType.MX);
/// </code>
/// </example>
public sealed class DnsClientRelay : IAsyncDisposable
{
    /// <summary>DnsClient's timeout for one query: longer than the resolver's default (30 s), so that a failure arrives as SERVFAIL first.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(40);

    private const int MaxConcurrentQueries = 64;
    private const int MaxConnections = 16;
    private const int BindAttempts = 8;
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(5);
    private readonly Socket _udp;
    private readonly Socket _tcp;
    private readonly RelayCounters _counters = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _udpLoop;
    private readonly Task _tcpLoop;
    private int _disposed;

    private DnsClientRelay(Socket udp, Socket tcp, TunnelResolver resolver, ILogger logger)
    {
        _udp = udp;
        _tcp = tcp;
        EndPoint = (IPEndPoint)udp.LocalEndPoint!;
        var engine = new RelayEngine(resolver, _counters, logger, TimeProvider.System);
        _udpLoop = Task.Run(() => new UdpRelay(udp, engine, logger, MaxConcurrentQueries).RunAsync(_stopping.Token));
        _tcpLoop = Task.Run(() => new TcpRelay(tcp, engine, logger, MaxConnections).RunAsync(_stopping.Token));
    }

    /// <summary>Where the relay listens: <c>127.0.0.1</c> and one port, for both UDP and TCP.</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>Well-formed queries received (over UDP and TCP).</summary>
    public long QueriesReceived => _counters.Received;

    /// <summary>Queries sent through the tunnel (each one a <see cref="TunnelResolver.ExchangeAsync"/>).</summary>
    public long QueriesRelayed => _counters.Relayed;

    /// <summary>
    /// Datagrams and connections turned away or left unanswered: malformed or refused queries, more than
    /// 64 queries in flight, more than 16 connections, or anything not from loopback.
    /// </summary>
    public long QueriesDropped => _counters.Dropped;

    /// <summary>Answers too big for the client's UDP buffer, sent truncated so that it asks again over TCP.</summary>
    public long TruncatedResponses => _counters.Truncated;

    /// <summary>Queries answered with SERVFAIL because the resolver got no answer through the tunnel.</summary>
    public long ServerFailures => _counters.ServerFailures;

    /// <summary>
    /// Starts a relay for <paramref name="resolver"/> on <c>127.0.0.1</c>, on an ephemeral port free for
    /// both UDP and TCP. The resolver is not owned: dispose it after the relay.
    /// </summary>
    /// <param name="resolver">The resolver every query goes through.</param>
    /// <param name="loggerFactory">For diagnostics (the port only at Debug; names never); null for none.</param>
    /// <returns>The running relay.</returns>
    /// <exception cref="SocketException">No port was free for both UDP and TCP after a few attempts.</exception>
    public static DnsClientRelay Start(TunnelResolver resolver, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        ILogger logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Smolmix.Dns.DnsClient");
        (Socket udp, Socket tcp) = Bind();
        var relay = new DnsClientRelay(udp, tcp, resolver, logger);
        RelayLog.Started(logger);
        RelayLog.Bound(logger, relay.EndPoint);
        return relay;
    }

    /// <summary>
    /// A <see cref="LookupClient"/> whose only name server is this relay: system name servers are never
    /// read. DnsClient's cache is on (the relay's exchanges do not use the resolver's cache); its timeout
    /// is <see cref="DefaultTimeout"/> with no retries (the resolver retransmits through the tunnel
    /// itself); TCP fallback is on for truncated answers.
    /// </summary>
    /// <param name="configure">Changes the options before the client is made; the name servers must stay exactly this relay.</param>
    /// <returns>The client.</returns>
    /// <exception cref="InvalidOperationException"><paramref name="configure"/> changed the name servers or turned on their automatic resolution.</exception>
    /// <exception cref="ObjectDisposedException">The relay has been disposed.</exception>
    public LookupClient CreateLookupClient(Action<LookupClientOptions>? configure = null)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var options = new LookupClientOptions(new NameServer(EndPoint))
        {
            AutoResolveNameServers = false,
            UseCache = true,
            Timeout = DefaultTimeout,
            Retries = 0,
            UseTcpFallback = true,
        };
        configure?.Invoke(options);
        if (options.AutoResolveNameServers || options.NameServers is not { Count: 1 } servers || !IsRelay(servers.First()))
        {
            throw new InvalidOperationException($"A LookupClient from {nameof(DnsClientRelay)} must have the relay as its only name server; otherwise queries would leave outside the tunnel.");
        }

        return new LookupClient(options);
    }

    /// <summary>Closes the relay's sockets; queries in flight are dropped.</summary>
    /// <returns>A task that completes when the relay has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _udp.Dispose();
        _tcp.Dispose();
        try
        {
            await Task.WhenAll(_udpLoop, _tcpLoop).WaitAsync(StopWait).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The loops end on their own once the sockets are closed; do not hold the caller.
        }

        // _stopping is not disposed: answers still in flight link to its token; it holds no timer.
    }

    private static (Socket Udp, Socket Tcp) Bind()
    {
        SocketException? last = null;
        for (int attempt = 0; attempt < BindAttempts; attempt++)
        {
            var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                if (OperatingSystem.IsWindows())
                {
                    udp.ExclusiveAddressUse = true;
                    tcp.ExclusiveAddressUse = true;
                }

                udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                tcp.Bind(new IPEndPoint(IPAddress.Loopback, ((IPEndPoint)udp.LocalEndPoint!).Port));
                tcp.Listen(MaxConnections);
                return (udp, tcp);
            }
            catch (SocketException ex)
            {
                last = ex;
                udp.Dispose();
                tcp.Dispose();
            }
        }

        throw last!;
    }

    private bool IsRelay(NameServer server) =>
        IPAddress.TryParse(server.Address, out IPAddress? address) && address.Equals(EndPoint.Address) && server.Port == EndPoint.Port;
}
