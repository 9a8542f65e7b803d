using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Smolmix.Dns.Wire;

namespace Smolmix.Dns.Resolver;

/// <summary>
/// One DNS-over-TLS connection (RFC 7858) through the tunnel: <see cref="SslStream"/> over a tunnel
/// TCP stream, the server's certificate validated for its name with a chain built offline (no
/// intermediate or revocation fetch can leave outside the tunnel). Queries are pipelined: each has
/// its own ID and a reader matches responses to them, so A and AAAA share one round trip.
/// </summary>
internal sealed class TlsConnection : IAsyncDisposable
{
    private readonly ResolverContext _ctx;
    private readonly DnsServer _server;
    private readonly TcpStream _tcp;
    private readonly SslStream _ssl;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly object _lock = new();
    private readonly Dictionary<ushort, (DnsQuestion Question, TaskCompletionSource<DnsMessage> Answer)> _pending = new();
    private readonly CancellationTokenSource _closed = new();
    private Exception? _failure;
    private Task _reader = Task.CompletedTask;

    private TlsConnection(ResolverContext ctx, DnsServer server, TcpStream tcp, SslStream ssl)
    {
        _ctx = ctx;
        _server = server;
        _tcp = tcp;
        _ssl = ssl;
    }

    /// <summary>True while the connection can take queries.</summary>
    public bool IsUsable
    {
        get
        {
            lock (_lock)
            {
                return _failure is null;
            }
        }
    }

    /// <summary>Connects and completes the TLS handshake, bounded by the connect timeout.</summary>
    /// <exception cref="AuthenticationException">The server's certificate was refused.</exception>
    public static async Task<TlsConnection> OpenAsync(ResolverContext ctx, DnsServer server, CancellationToken cancellationToken)
    {
        using var timer = new CancellationTokenSource(ctx.Options.ConnectTimeout, ctx.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        TcpStream? tcp = null;
        SslStream? ssl = null;
        try
        {
            tcp = await ctx.Network.ConnectTcpAsync(server.EndPoint, linked.Token).ConfigureAwait(false);
            ssl = new SslStream(tcp, leaveInnerStreamOpen: false);
            await ssl.AuthenticateAsClientAsync(ClientOptions(ctx.Options, server.TlsHostName!), linked.Token).ConfigureAwait(false);
            var connection = new TlsConnection(ctx, server, tcp, ssl);
            connection._reader = Task.Run(connection.ReadLoopAsync, CancellationToken.None);
            return connection;
        }
        catch (Exception ex)
        {
            if (ssl is not null)
            {
                await ssl.DisposeAsync().ConfigureAwait(false);
            }
            else if (tcp is not null)
            {
                await tcp.DisposeAsync().ConfigureAwait(false);
            }

            if (ex is OperationCanceledException && timer.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"No TLS session with the DNS server {server} within {ctx.Options.ConnectTimeout.TotalSeconds:0.#} s.");
            }

            throw;
        }
    }

    /// <summary>The TLS settings: SNI and name check for <paramref name="hostName"/>, TLS 1.2+, ALPN "dot", a chain built offline.</summary>
    internal static SslClientAuthenticationOptions ClientOptions(TunnelResolverOptions options, string hostName)
    {
        var policy = new X509ChainPolicy
        {
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        if (options.TlsTrustedRoots is { Count: > 0 } roots)
        {
            policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            policy.CustomTrustStore.AddRange(roots);
        }

        return new SslClientAuthenticationOptions
        {
            TargetHost = hostName,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            CertificateChainPolicy = policy,
            ApplicationProtocols = [new SslApplicationProtocol("dot")],
        };
    }

    /// <summary>Sends one query and waits for its response.</summary>
    /// <exception cref="IOException">The connection failed or closed before the answer came.</exception>
    public async Task<DnsMessage> QueryAsync(DnsQuestion question, CancellationToken cancellationToken)
    {
        var answer = new TaskCompletionSource<DnsMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        ushort id;
        lock (_lock)
        {
            if (_failure is not null)
            {
                throw new IOException($"The TLS connection to the DNS server {_server} is closed.", _failure);
            }

            do
            {
                id = QueryIds.NextId();
            }
            while (_pending.ContainsKey(id));

            _pending[id] = (question, answer);
        }

        try
        {
            byte[] query = DnsMessage.Query(id, question, (ushort)_ctx.Options.EdnsPayloadSize).Encode();
            await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await StreamFraming.WriteAsync(_ssl, query, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Fail(new IOException($"Writing to the DNS server {_server} failed.", ex));
            }
            finally
            {
                _writeLock.Release();
            }

            _ctx.Metrics.QuerySent("tls");
            return await answer.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (_lock)
            {
                _pending.Remove(id);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        Fail(new ObjectDisposedException(nameof(TlsConnection)));
        await _closed.CancelAsync().ConfigureAwait(false);
        await _ssl.DisposeAsync().ConfigureAwait(false);
        await _tcp.DisposeAsync().ConfigureAwait(false);
        try
        {
            await _reader.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The reader ends with the connection; its failure was already handed to the waiters.
        }

        _closed.Dispose();
        _writeLock.Dispose();
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[65535];
        try
        {
            while (true)
            {
                DnsMessage? response;
                try
                {
                    response = await StreamFraming.ReadAsync(_ssl, buffer, _closed.Token).ConfigureAwait(false);
                }
                catch (DnsFormatException ex)
                {
                    // A stream cannot resynchronise after a bad message only if its framing broke; the frame was read whole, so go on.
                    _ctx.Metrics.ResponseDropped("malformed");
                    ResolverLog.MalformedResponse(_ctx.Logger, _server, ex.Message);
                    continue;
                }

                if (response is null)
                {
                    Fail(new IOException($"The DNS server {_server} closed the TLS connection."));
                    return;
                }

                TaskCompletionSource<DnsMessage>? waiter = null;
                lock (_lock)
                {
                    if (_pending.TryGetValue(response.Id, out var pending) && QueryIds.Answers(response, response.Id, pending.Question))
                    {
                        waiter = pending.Answer;
                    }
                }

                if (waiter is null)
                {
                    _ctx.Metrics.ResponseDropped("unmatched");
                    continue;
                }

                waiter.TrySetResult(response);
            }
        }
        catch (Exception ex)
        {
            Fail(ex is IOException ? ex : new IOException($"The TLS connection to the DNS server {_server} failed.", ex));
        }
    }

    private void Fail(Exception ex)
    {
        List<TaskCompletionSource<DnsMessage>> waiters;
        lock (_lock)
        {
            _failure ??= ex;
            waiters = _pending.Values.Select(p => p.Answer).ToList();
        }

        foreach (var w in waiters)
        {
            w.TrySetException(ex);
        }
    }
}
