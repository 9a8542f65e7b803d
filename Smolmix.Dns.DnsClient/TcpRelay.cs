using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Smolmix.Dns.DnsClient;

/// <summary>
/// The relay's TCP side (RFC 7766 framing: a two-byte length before each message): connections from
/// loopback only, at most <c>maxConnections</c> at once, queries on a connection answered in turn,
/// closed after <see cref="IdleTimeout"/> without a query or on anything malformed.
/// </summary>
internal sealed class TcpRelay
{
    /// <summary>How long a connection may wait for its next query (or for the rest of one).</summary>
    internal static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(10);
    private readonly Socket _listener;
    private readonly RelayEngine _engine;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _connections;

    public TcpRelay(Socket listener, RelayEngine engine, ILogger logger, int maxConnections)
    {
        _listener = listener;
        _engine = engine;
        _logger = logger;
        _connections = new SemaphoreSlim(maxConnections, maxConnections);
    }

    public async Task RunAsync(CancellationToken stopping)
    {
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                Socket client;
                try
                {
                    client = await _listener.AcceptAsync(stopping).ConfigureAwait(false);
                }
                catch (SocketException) when (!stopping.IsCancellationRequested)
                {
                    continue; // e.g. a connection reset before it was accepted
                }

                if (client.RemoteEndPoint is not IPEndPoint from || !IPAddress.IsLoopback(from.Address))
                {
                    client.Dispose();
                    _engine.Refuse("a connection not from loopback");
                    continue;
                }

                if (!_connections.Wait(0))
                {
                    client.Dispose();
                    _engine.Refuse("too many connections");
                    continue;
                }

                _ = ServeAsync(client, stopping);
            }
        }
        catch (Exception ex) when (stopping.IsCancellationRequested && ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
        catch (Exception ex)
        {
            RelayLog.LoopFailed(_logger, "TCP", ex);
        }
    }

    private async Task ServeAsync(Socket client, CancellationToken stopping)
    {
        try
        {
            using var stream = new NetworkStream(client, ownsSocket: true);
            byte[] length = new byte[2];
            while (!stopping.IsCancellationRequested)
            {
                byte[] query;
                using (var idle = CancellationTokenSource.CreateLinkedTokenSource(stopping))
                {
                    idle.CancelAfter(IdleTimeout);
                    if (await stream.ReadAtLeastAsync(length, 2, throwOnEndOfStream: false, idle.Token).ConfigureAwait(false) < 2)
                    {
                        return; // the client closed the connection
                    }

                    query = new byte[BinaryPrimitives.ReadUInt16BigEndian(length)];
                    if (await stream.ReadAtLeastAsync(query, query.Length, throwOnEndOfStream: false, idle.Token).ConfigureAwait(false) < query.Length)
                    {
                        return;
                    }
                }

                byte[]? answer = await _engine.AnswerAsync(query, overTcp: true, stopping).ConfigureAwait(false);
                if (answer is null || answer.Length > ushort.MaxValue)
                {
                    return; // dropped: closing tells the client at once
                }

                byte[] framed = new byte[answer.Length + 2];
                BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)answer.Length);
                answer.CopyTo(framed, 2);
                using var write = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                write.CancelAfter(WriteTimeout);
                await stream.WriteAsync(framed, write.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            RelayLog.ConnectionEnded(_logger, ex.GetType().Name);
        }
        finally
        {
            client.Dispose();
            _connections.Release();
        }
    }
}
