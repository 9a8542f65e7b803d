using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Smolmix.Dns.Resolver;
using Smolmix.Dns.Wire;

namespace Smolmix.Dns;

/// <summary>
/// Resolves names through a <see cref="Tunnel"/> (or any <see cref="IVirtualNetwork"/>): every query
/// travels through the mixnet to the configured servers; the operating system's resolver,
/// <c>/etc/hosts</c> and <c>/etc/resolv.conf</c> are never used. UDP with a TCP fallback for
/// truncated answers, or DNS over TLS; A and AAAA in parallel; CNAME chains followed; identical
/// questions in flight share one query; answers cached by TTL (negative answers too, RFC 2308), with
/// serve-stale (RFC 8767) as an option. Thread-safe; one instance per tunnel is meant to be shared.
/// </summary>
/// <example>
/// <code>
/// await using var resolver = new TunnelResolver(tunnel);
/// IPAddress[] addresses = await resolver.GetHostAddressesAsync("example.com");
/// DnsAnswer mx = await resolver.QueryAsync("example.com", DnsRecordType.MX);
/// </code>
/// </example>
public sealed class TunnelResolver : IAsyncDisposable
{
    private const int MaxChainRestarts = 8;
    private readonly ResolverContext _ctx;
    private readonly TunnelResolverOptions _options;
    private readonly DnsServer[] _servers;
    private readonly ServerRttEstimator[] _rtt;
    private readonly TlsSession?[] _tls;
    private readonly AnswerCache _cache;
    private readonly Dictionary<CacheKey, Task<CachedAnswer>> _inFlight = new();
    private readonly CancellationTokenSource _lifetime = new();
    private int _preferred;
    private int _disposed;

    /// <summary>Creates a resolver that sends its queries through <paramref name="network"/>.</summary>
    /// <param name="network">A <see cref="Tunnel"/>, or a <see cref="NetStack"/>.</param>
    /// <param name="options">Settings; null for the defaults (Quad9 and Cloudflare through the exit).</param>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public TunnelResolver(IVirtualNetwork network, TunnelResolverOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        _options = options ?? new TunnelResolverOptions();
        _options.Validate();
        _servers = [.. _options.Servers];
        _rtt = _servers.Select(_ => new ServerRttEstimator(_options.InitialRetransmitTimeout, _options.MinRetransmitTimeout, _options.MaxRetransmitTimeout)).ToArray();
        ILogger logger = (_options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Smolmix.Dns");
        _ctx = new ResolverContext(network, _options, new ResolverMetrics(_options.MeterFactory), logger);
        _tls = _servers.Select(s => s.UsesTls ? new TlsSession(_ctx, s) : null).ToArray();
        _cache = new AnswerCache(_options.CacheSize, _options.TimeProvider, _options.ServeStale ? _options.MaxStaleAge : TimeSpan.Zero);
    }

    /// <summary>The servers, in the order they are tried.</summary>
    public IReadOnlyList<DnsServer> Servers => _servers;

    /// <summary>What the resolver has done so far: lookups, cache hits, queries sent, retransmissions.</summary>
    public TunnelResolverStatistics Statistics => _ctx.Metrics.Snapshot(_cache.Count);

    /// <summary>
    /// The smoothed round trip to each server as measured by its answers (null before the first),
    /// which times the retransmissions.
    /// </summary>
    public IReadOnlyList<TimeSpan?> ServerRoundTrips => _rtt.Select(r => r.SmoothedRtt).ToArray();

    /// <summary>
    /// Resolves a host name to its addresses, IPv4 (A) and IPv6 (AAAA) asked in parallel; IPv4
    /// addresses come first. An IP address literal is returned as it is, and <c>localhost</c> (and
    /// names under it, RFC 6761) resolve to the loopback addresses without a query.
    /// </summary>
    /// <param name="hostName">The name (an internationalized name is converted to its ASCII form).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The addresses (never empty).</returns>
    /// <exception cref="ArgumentException">The name is not a valid host name.</exception>
    /// <exception cref="DnsResolutionException">
    /// A <see cref="SocketException"/>: <see cref="SocketError.HostNotFound"/> when the name does not
    /// exist, <see cref="SocketError.NoData"/> when it has no addresses, <see cref="SocketError.TryAgain"/>
    /// when no server answered within <see cref="TunnelResolverOptions.Timeout"/> or they failed.
    /// </exception>
    public Task<IPAddress[]> GetHostAddressesAsync(string hostName, CancellationToken cancellationToken = default)
        => GetHostAddressesAsync(hostName, AddressFamily.Unspecified, cancellationToken);

    /// <summary>Resolves a host name to its addresses of one family (<see cref="AddressFamily.Unspecified"/> for both).</summary>
    /// <param name="hostName">The name.</param>
    /// <param name="family"><see cref="AddressFamily.InterNetwork"/> (A only), <see cref="AddressFamily.InterNetworkV6"/> (AAAA only) or <see cref="AddressFamily.Unspecified"/>.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The addresses (never empty).</returns>
    /// <exception cref="ArgumentException">The name is not a valid host name, or the family is another.</exception>
    /// <exception cref="DnsResolutionException">As for <see cref="GetHostAddressesAsync(string, CancellationToken)"/>.</exception>
    public async Task<IPAddress[]> GetHostAddressesAsync(string hostName, AddressFamily family, CancellationToken cancellationToken = default)
    {
        using System.Diagnostics.Activity? activity = SmolmixDiagnostics.ActivitySource.StartActivity(SmolmixDiagnostics.DnsResolveActivity, System.Diagnostics.ActivityKind.Client);
        activity?.SetTag("smolmix.dns.family", family switch { AddressFamily.InterNetwork => "ipv4", AddressFamily.InterNetworkV6 => "ipv6", _ => "any" });
        try
        {
            IPAddress[] addresses = await GetHostAddressesCoreAsync(hostName, family, cancellationToken).ConfigureAwait(false);
            activity?.SetTag("smolmix.dns.addresses", addresses.Length);
            return addresses;
        }
        catch (Exception ex)
        {
            activity?.SetTag("error.type", ex is DnsResolutionException dns ? dns.SocketErrorCode.ToString() : ex.GetType().Name);
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, ex.GetType().Name);
            throw;
        }
    }

    private async Task<IPAddress[]> GetHostAddressesCoreAsync(string hostName, AddressFamily family, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hostName);
        if (family is not (AddressFamily.Unspecified or AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            throw new ArgumentException($"Only IPv4, IPv6 or both can be resolved, not {family}.", nameof(family));
        }

        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (IPAddress.TryParse(hostName, out IPAddress? literal))
        {
            return Wanted(literal.AddressFamily, family) ? [literal] : throw NoAddresses(hostName, family);
        }

        string name = DnsName.FromHostName(hostName, nameof(hostName));
        if (name == "localhost" || name.EndsWith(".localhost", StringComparison.Ordinal))
        {
            IPAddress[] loopback = [IPAddress.Loopback, IPAddress.IPv6Loopback];
            return loopback.Where(a => Wanted(a.AddressFamily, family)).ToArray();
        }

        Task<DnsAnswer>? a = family != AddressFamily.InterNetworkV6 ? QueryAsync(name, DnsRecordType.A, cancellationToken) : null;
        Task<DnsAnswer>? aaaa = family != AddressFamily.InterNetwork ? QueryAsync(name, DnsRecordType.AAAA, cancellationToken) : null;
        var addresses = new List<IPAddress>();
        Exception? firstError = null;
        bool nameError = false;
        foreach (Task<DnsAnswer>? t in (Task<DnsAnswer>?[])[a, aaaa])
        {
            if (t is null)
            {
                continue;
            }

            try
            {
                DnsAnswer answer = await t.ConfigureAwait(false);
                nameError |= answer.ResponseCode == DnsResponseCode.NameError;
                addresses.AddRange(answer.RecordsOf<ARecord>().Select(r => r.Address));
                addresses.AddRange(answer.RecordsOf<AaaaRecord>().Select(r => r.Address));
            }
            catch (Exception ex) when (ex is DnsResolutionException or OperationCanceledException or ObjectDisposedException)
            {
                firstError ??= ex;
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (addresses.Count > 0)
        {
            return [.. addresses];
        }

        if (firstError is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(firstError);
        }

        if (nameError)
        {
            throw new DnsResolutionException(SocketError.HostNotFound, name, family == AddressFamily.InterNetworkV6 ? DnsRecordType.AAAA : DnsRecordType.A, DnsResponseCode.NameError, $"The name '{name}' does not exist (NXDOMAIN).");
        }

        throw NoAddresses(name, family);
    }

    /// <summary>
    /// Asks one question: the records of <paramref name="type"/> for <paramref name="name"/>, following
    /// CNAMEs. A name that does not exist is an answer (<see cref="DnsResponseCode.NameError"/>, no
    /// records), not an exception; so is a name without records of the type.
    /// </summary>
    /// <param name="name">The name (a host name, or e.g. <c>_sip._tcp.example.com</c> or a reverse name).</param>
    /// <param name="type">The record type.</param>
    /// <param name="cancellationToken">Cancels the wait (the query itself goes on for others waiting on it).</param>
    /// <returns>The answer.</returns>
    /// <exception cref="ArgumentException">The name is not valid, or the type cannot be asked for.</exception>
    /// <exception cref="DnsResolutionException">No server gave an answer (<see cref="SocketError.TryAgain"/>: timeout or SERVFAIL; <see cref="SocketError.NoRecovery"/>: refused or not understood).</exception>
    public async Task<DnsAnswer> QueryAsync(string name, DnsRecordType type, CancellationToken cancellationToken = default)
    {
        if (type is DnsRecordType.OPT or DnsRecordType.ANY)
        {
            throw new ArgumentException($"{type} cannot be asked for.", nameof(type));
        }

        string ascii = DnsName.FromHostName(name, nameof(name));
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        _ctx.Metrics.Lookup();
        var key = new CacheKey(ascii, type);
        bool cached = _cache.TryGet(key, out CachedAnswer entry, out TimeSpan age);
        if (cached && age < entry.TimeToLive)
        {
            _ctx.Metrics.CacheHit();
            return ToAnswer(ascii, type, entry, age, fromCache: true, stale: false);
        }

        Task<CachedAnswer> shared = Resolve(key);
        try
        {
            if (cached && _options.ServeStale)
            {
                // RFC 8767 §5: wait a while for a fresh answer, then serve the stale one while the refresh goes on.
                Task delay = Task.Delay(_options.StaleAnswerDelay, _options.TimeProvider, cancellationToken);
                if (await Task.WhenAny(shared, delay).ConfigureAwait(false) != shared || !shared.IsCompletedSuccessfully)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    return Stale(ascii, type, entry);
                }
            }

            CachedAnswer fresh = await shared.WaitAsync(cancellationToken).ConfigureAwait(false);
            return ToAnswer(ascii, type, fresh, _options.TimeProvider.GetElapsedTime(fresh.StoredAt), fromCache: false, stale: false);
        }
        catch (DnsResolutionException) when (cached && _options.ServeStale)
        {
            return Stale(ascii, type, entry);
        }
        catch (Exception ex) when (ex is DnsResolutionException or OperationCanceledException)
        {
            _ctx.Metrics.Failure();
            throw;
        }
    }

    /// <summary>
    /// Sends a DNS query given in wire form through the tunnel to the configured servers (in turn, with
    /// retransmission, TCP fallback or TLS as configured; not from the cache) and returns the server's
    /// response in wire form, carrying the query's ID. For tools that build their own messages, such as
    /// a relay for another DNS library.
    /// </summary>
    /// <param name="query">A standard query with exactly one question.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The response (NOERROR or NXDOMAIN; other codes end in an exception).</returns>
    /// <exception cref="ArgumentException">The query is malformed or is not a single-question standard query.</exception>
    /// <exception cref="DnsResolutionException">No server gave an answer in time.</exception>
    public async Task<byte[]> ExchangeAsync(ReadOnlyMemory<byte> query, CancellationToken cancellationToken = default)
    {
        DnsMessage parsed;
        try
        {
            parsed = DnsMessage.Parse(query.Span);
        }
        catch (DnsFormatException ex)
        {
            throw new ArgumentException($"The query is malformed: {ex.Message}", nameof(query), ex);
        }

        if (parsed.IsResponse || parsed.Opcode != 0 || parsed.Questions.Count != 1 || parsed.Questions[0].Type is DnsRecordType.OPT)
        {
            throw new ArgumentException("Only a standard query with one question can be sent.", nameof(query));
        }

        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        DnsQuestion question = parsed.Questions[0];
        using var timeout = new CancellationTokenSource(_options.Timeout, _options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _lifetime.Token, cancellationToken);
        try
        {
            (DnsMessage response, _) = await AskServersAsync(question, linked.Token).ConfigureAwait(false);
            response.Id = parsed.Id;
            return response.Encode();
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new DnsResolutionException(SocketError.TryAgain, question.Name, question.Type, null, $"No DNS server answered for '{question.Name}' ({question.Type}) within {_options.Timeout.TotalSeconds:0.#} s.");
        }
    }

    /// <summary>Forgets every cached answer.</summary>
    public void ClearCache() => _cache.Clear();

    /// <summary>Stops the resolver: queries in flight fail with <see cref="ObjectDisposedException"/>, DNS-over-TLS connections close.</summary>
    /// <returns>A task that completes when it has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _lifetime.CancelAsync().ConfigureAwait(false);
        foreach (TlsSession? s in _tls)
        {
            if (s is not null)
            {
                await s.DisposeAsync().ConfigureAwait(false);
            }
        }

        _ctx.Metrics.Dispose();
    }

    private static bool Wanted(AddressFamily actual, AddressFamily wanted) => wanted == AddressFamily.Unspecified || actual == wanted;

    private static DnsResolutionException NoAddresses(string name, AddressFamily family) =>
        new(SocketError.NoData, name, family == AddressFamily.InterNetworkV6 ? DnsRecordType.AAAA : DnsRecordType.A, DnsResponseCode.NoError,
            $"'{name}' has no {(family switch { AddressFamily.InterNetwork => "IPv4", AddressFamily.InterNetworkV6 => "IPv6", _ => "IPv4 or IPv6" })} address.");

    private static DnsAnswer ToAnswer(string name, DnsRecordType type, CachedAnswer entry, TimeSpan age, bool fromCache, bool stale)
    {
        TimeSpan left = entry.TimeToLive > age ? entry.TimeToLive - age : TimeSpan.Zero;
        DnsRecord[] records = entry.Records.Select(r => Aged(r, age, left)).ToArray();
        CnameRecord[] aliases = entry.Aliases.Select(r => (CnameRecord)Aged(r, age, left)).ToArray();
        return new DnsAnswer(name, type, entry.ResponseCode, entry.CanonicalName, records, aliases, entry.Server, fromCache, stale);
    }

    /// <summary>The record with what remains of its TTL: aged, and no longer than the answer stays cached.</summary>
    private static DnsRecord Aged(DnsRecord r, TimeSpan age, TimeSpan left)
    {
        TimeSpan ttl = r.TimeToLive > age ? r.TimeToLive - age : TimeSpan.Zero;
        ttl = TimeSpan.FromSeconds(Math.Floor((ttl < left ? ttl : left).TotalSeconds));
        return ttl == r.TimeToLive ? r : r.WithTimeToLive(ttl);
    }

    private DnsAnswer Stale(string name, DnsRecordType type, CachedAnswer entry)
    {
        _ctx.Metrics.StaleAnswer();
        ResolverLog.ServingStale(_ctx.Logger, name, type);
        DnsRecord[] records = entry.Records.Select(r => r.WithTimeToLive(_options.StaleAnswerTtl)).ToArray();
        CnameRecord[] aliases = entry.Aliases.Select(r => (CnameRecord)r.WithTimeToLive(_options.StaleAnswerTtl)).ToArray();
        return new DnsAnswer(name, type, entry.ResponseCode, entry.CanonicalName, records, aliases, entry.Server, fromCache: true, isStale: true);
    }

    /// <summary>The query in flight for <paramref name="key"/>, started if there is none.</summary>
    private Task<CachedAnswer> Resolve(CacheKey key)
    {
        lock (_inFlight)
        {
            if (_inFlight.TryGetValue(key, out Task<CachedAnswer>? running))
            {
                _ctx.Metrics.Coalesced();
                return running;
            }

            Task<CachedAnswer> task = ResolveAndCacheAsync(key);
            if (!task.IsCompleted)
            {
                _inFlight[key] = task;
                _ = task.ContinueWith(
                    (t, state) =>
                    {
                        var (self, k) = ((TunnelResolver, CacheKey))state!;
                        lock (self._inFlight)
                        {
                            self._inFlight.Remove(k);
                        }

                        _ = t.Exception; // observed: a stale answer may have been served instead
                    },
                    (this, key),
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
            }

            return task;
        }
    }

    private async Task<CachedAnswer> ResolveAndCacheAsync(CacheKey key)
    {
        await Task.Yield(); // never run the exchange under the in-flight lock
        long start = _options.TimeProvider.GetTimestamp();
        using var timeout = new CancellationTokenSource(_options.Timeout, _options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _lifetime.Token);
        try
        {
            CachedAnswer answer = await ResolveChainAsync(new DnsQuestion(key.Name, key.Type), linked.Token).ConfigureAwait(false);
            _cache.Store(key, answer);
            _ctx.Metrics.Resolved(_options.TimeProvider.GetElapsedTime(start));
            return answer;
        }
        catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
        {
            throw new ObjectDisposedException(nameof(TunnelResolver));
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            string message = $"No DNS server answered for '{key.Name}' ({key.Type}) within {_options.Timeout.TotalSeconds:0.#} s (tried {string.Join(", ", _servers.Select(s => s.ToString()))}).";
            ResolverLog.LookupFailed(_ctx.Logger, _servers.Length, "timeout");
            throw new DnsResolutionException(SocketError.TryAgain, key.Name, key.Type, null, message);
        }
    }

    private async Task<CachedAnswer> ResolveChainAsync(DnsQuestion question, CancellationToken cancellationToken)
    {
        var aliases = new List<CnameRecord>();
        TimeSpan ttl = TimeSpan.MaxValue;
        DnsQuestion q = question;
        for (int restart = 0; ; restart++)
        {
            (DnsMessage response, DnsServer server) = await AskServersAsync(q, cancellationToken).ConfigureAwait(false);
            ChainedAnswer a;
            try
            {
                a = ChainedAnswer.From(response, q, _options.MaxCacheTtl, _options.MaxNegativeCacheTtl);
            }
            catch (DnsFormatException ex)
            {
                throw new DnsResolutionException(SocketError.NoRecovery, question.Name, question.Type, response.ResponseCode, $"The answer for '{question.Name}' from {server} is unusable: {ex.Message}");
            }

            aliases.AddRange(a.Aliases);
            ttl = a.TimeToLive < ttl ? a.TimeToLive : ttl;
            if (!a.ChainIncomplete)
            {
                return new CachedAnswer(a.ResponseCode, a.CanonicalName, a.Records, [.. aliases], server, _options.TimeProvider.GetTimestamp(), ttl);
            }

            if (restart >= MaxChainRestarts || aliases.Count > ChainedAnswer.MaxChainLength)
            {
                throw new DnsResolutionException(SocketError.NoRecovery, question.Name, question.Type, a.ResponseCode, $"The CNAME chain from '{question.Name}' is too long.");
            }

            q = new DnsQuestion(a.CanonicalName, question.Type);
        }
    }

    /// <summary>Asks the servers in turn, passing over them again while time remains, until one gives an answer (NOERROR or NXDOMAIN).</summary>
    private async Task<(DnsMessage Response, DnsServer Server)> AskServersAsync(DnsQuestion question, CancellationToken cancellationToken)
    {
        DnsResponseCode? lastCode = null;
        string lastReason = "no answer";
        for (int pass = 0; ; pass++)
        {
            bool anyTransient = false;
            int first = Volatile.Read(ref _preferred);
            for (int i = 0; i < _servers.Length; i++)
            {
                int index = (first + i) % _servers.Length;
                DnsServer server = _servers[index];
                ResolverLog.Querying(_ctx.Logger, question.Name, question.Type, server);
                try
                {
                    DnsMessage? response = await ExchangeAsync(index, question, cancellationToken).ConfigureAwait(false);
                    if (response is null)
                    {
                        anyTransient = true;
                        lastReason = $"{server} did not answer";
                        ResolverLog.ServerFailed(_ctx.Logger, server, question.Name, question.Type, "no answer");
                        continue;
                    }

                    if (response.ResponseCode is DnsResponseCode.NoError or DnsResponseCode.NameError)
                    {
                        Volatile.Write(ref _preferred, index);
                        return (response, server);
                    }

                    lastCode = response.ResponseCode;
                    lastReason = $"{server} answered {response.ResponseCode}";
                    ResolverLog.ServerFailed(_ctx.Logger, server, question.Name, question.Type, response.ResponseCode.ToString());
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    throw;
                }
                catch (Exception ex) when (ex is IOException or SocketException or TimeoutException or AuthenticationException or DnsFormatException or ObjectDisposedException or OperationCanceledException)
                {
                    anyTransient |= ex is not AuthenticationException and not DnsFormatException;
                    lastReason = $"{server}: {ex.Message}";
                    ResolverLog.ServerFailed(_ctx.Logger, server, question.Name, question.Type, ex.GetType().Name);
                }
            }

            if (!anyTransient)
            {
                // Every server gave a definite failure: asking again will not help.
                ResolverLog.LookupFailed(_ctx.Logger, _servers.Length, lastReason);
                SocketError error = lastCode is null or DnsResponseCode.ServerFailure ? SocketError.TryAgain : SocketError.NoRecovery;
                throw new DnsResolutionException(error, question.Name, question.Type, lastCode, $"No DNS server could answer for '{question.Name}' ({question.Type}): {lastReason}.");
            }

            // Some server may answer on another pass (a lost datagram, a tunnel reconnecting); pause one minimum RTO so a hard failure cannot spin.
            await Task.Delay(_options.MinRetransmitTimeout, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<DnsMessage?> ExchangeAsync(int index, DnsQuestion question, CancellationToken cancellationToken)
    {
        DnsServer server = _servers[index];
        if (_tls[index] is TlsSession tls)
        {
            return await tls.QueryAsync(question, cancellationToken).ConfigureAwait(false);
        }

        DnsMessage? response = await UdpExchange.QueryAsync(_ctx, server, _rtt[index], question, cancellationToken).ConfigureAwait(false);
        if (response is { Truncated: true })
        {
            _ctx.Metrics.TcpFallback();
            ResolverLog.TcpFallback(_ctx.Logger, question.Name, question.Type, server);
            return await TcpExchange.QueryAsync(_ctx, server, question, cancellationToken).ConfigureAwait(false);
        }

        return response;
    }
}
