using Smolmix.Dns.Wire;

namespace Smolmix.Dns.Resolver;

/// <summary>
/// The DNS-over-TLS connection to one server, kept open between lookups (a TLS handshake through the
/// mixnet costs several round trips) and reopened when the server closes it.
/// </summary>
internal sealed class TlsSession : IAsyncDisposable
{
    private readonly ResolverContext _ctx;
    private readonly DnsServer _server;
    private readonly SemaphoreSlim _openLock = new(1, 1);
    private TlsConnection? _connection;
    private bool _disposed;

    public TlsSession(ResolverContext ctx, DnsServer server)
    {
        _ctx = ctx;
        _server = server;
    }

    public async Task<DnsMessage> QueryAsync(DnsQuestion question, CancellationToken cancellationToken)
    {
        // A kept connection the server has closed in the meantime fails the query; retry once on a new one.
        for (int attempt = 0; ; attempt++)
        {
            (TlsConnection connection, bool reused) = await GetAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await connection.QueryAsync(question, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException) when (reused && attempt == 0 && !cancellationToken.IsCancellationRequested)
            {
                await DropAsync(connection).ConfigureAwait(false);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        TlsConnection? c;
        await _openLock.WaitAsync().ConfigureAwait(false);
        try
        {
            _disposed = true;
            c = _connection;
            _connection = null;
        }
        finally
        {
            _openLock.Release();
        }

        if (c is not null)
        {
            await c.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task<(TlsConnection Connection, bool Reused)> GetAsync(CancellationToken cancellationToken)
    {
        await _openLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_connection is { IsUsable: true } c)
            {
                return (c, true);
            }

            if (_connection is not null)
            {
                await _connection.DisposeAsync().ConfigureAwait(false);
                _connection = null;
            }

            _connection = await TlsConnection.OpenAsync(_ctx, _server, cancellationToken).ConfigureAwait(false);
            return (_connection, false);
        }
        finally
        {
            _openLock.Release();
        }
    }

    private async Task DropAsync(TlsConnection connection)
    {
        await _openLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (ReferenceEquals(_connection, connection))
            {
                _connection = null;
            }
        }
        finally
        {
            _openLock.Release();
        }

        await connection.DisposeAsync().ConfigureAwait(false);
    }
}
