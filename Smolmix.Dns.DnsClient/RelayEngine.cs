using System.Buffers.Binary;
using Microsoft.Extensions.Logging;

namespace Smolmix.Dns.DnsClient;

/// <summary>
/// What the relay answers to one query, whichever transport brought it: the resolver's response
/// (through the tunnel), a truncated response when it is too big for the client's UDP buffer, SERVFAIL
/// when the resolver failed, or nothing (null) when the query is dropped.
/// </summary>
internal sealed class RelayEngine
{
    /// <summary>The longest the relay waits for one exchange; the resolver's own timeout normally ends it sooner.</summary>
    internal static readonly TimeSpan ExchangeCap = TimeSpan.FromMinutes(2);

    private const int ServFail = 2;
    private readonly TunnelResolver _resolver;
    private readonly TruncatedAnswerStash _stash;
    private readonly ILogger _logger;

    public RelayEngine(TunnelResolver resolver, RelayCounters counters, ILogger logger, TimeProvider time)
    {
        _resolver = resolver;
        Counters = counters;
        _logger = logger;
        _stash = new TruncatedAnswerStash(capacity: 64, lifetime: TimeSpan.FromSeconds(10), time);
    }

    public RelayCounters Counters { get; }

    /// <summary>The answer to <paramref name="query"/>, or null to drop it.</summary>
    /// <param name="query">The query as received.</param>
    /// <param name="overTcp">Whether it came over TCP (no size limit) or UDP.</param>
    /// <param name="stopping">Signalled when the relay stops.</param>
    public async Task<byte[]?> AnswerAsync(byte[] query, bool overTcp, CancellationToken stopping)
    {
        if (!QueryHeader.TryRead(query, out QueryHeader header))
        {
            return Drop("not a single-question standard query");
        }

        Counters.Receive();
        string key = header.QuestionKey(query);
        if (overTcp && _stash.TryTake(key, out byte[] stashed))
        {
            byte[] copy = (byte[])stashed.Clone();
            BinaryPrimitives.WriteUInt16BigEndian(copy, header.Id);
            return copy;
        }

        byte[] response;
        using (var cap = CancellationTokenSource.CreateLinkedTokenSource(stopping))
        {
            cap.CancelAfter(ExchangeCap);
            try
            {
                response = await _resolver.ExchangeAsync(query, cap.Token).ConfigureAwait(false);
                Counters.Relay();
            }
            catch (ArgumentException)
            {
                return Drop("refused by the resolver");
            }
            catch (DnsResolutionException ex)
            {
                Counters.Relay();
                return ServerFailure(query, header, ex.SocketErrorCode.ToString());
            }
            catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
            {
                Counters.Relay();
                return ServerFailure(query, header, "no answer within the relay's limit");
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return Drop("the relay or the resolver is stopping");
            }
        }

        if (!overTcp && response.Length > header.UdpPayloadSize)
        {
            // Too big for the client's buffer: TC so that it asks again over TCP, served from the stash.
            _stash.Store(key, response);
            Counters.Truncate();
            RelayLog.Truncated(_logger, response.Length, header.UdpPayloadSize);
            return header.EmptyResponse(query, response[3] & 0x0F, truncated: true);
        }

        return response;
    }

    /// <summary>Counts a datagram or connection turned away before it was read (overload, not loopback).</summary>
    public void Refuse(string reason) => Drop(reason);

    private byte[]? Drop(string reason)
    {
        Counters.Drop();
        RelayLog.Dropped(_logger, reason);
        return null;
    }

    private byte[] ServerFailure(byte[] query, QueryHeader header, string reason)
    {
        Counters.ServerFailure();
        RelayLog.ServerFailure(_logger, reason);
        return header.EmptyResponse(query, ServFail, truncated: false);
    }
}
