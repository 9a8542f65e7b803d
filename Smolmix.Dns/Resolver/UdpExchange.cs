using System.Buffers;
using System.Net.Sockets;
using Smolmix.Dns.Wire;

namespace Smolmix.Dns.Resolver;

/// <summary>
/// One question to one server over UDP: a fresh socket on a random port, a random ID per
/// transmission, retransmission on the server's measured round trip, and only a response from the
/// server's address and port, with an outstanding ID and the same question, is accepted.
/// </summary>
internal static class UdpExchange
{
    private const int MaxBindTries = 16;

    /// <summary>Returns the server's response (possibly truncated), or null when it did not answer any transmission in time.</summary>
    public static async Task<DnsMessage?> QueryAsync(ResolverContext ctx, DnsServer server, ServerRttEstimator rtt, DnsQuestion question, CancellationToken cancellationToken)
    {
        using UdpSocket socket = await BindRandomPortAsync(ctx.Network, cancellationToken).ConfigureAwait(false);
        var sent = new Dictionary<ushort, long>();
        byte[] buffer = ArrayPool<byte>.Shared.Rent(65535);
        try
        {
            for (int attempt = 0; attempt < ctx.Options.AttemptsPerServer; attempt++)
            {
                ushort id;
                do
                {
                    id = QueryIds.NextId();
                }
                while (sent.ContainsKey(id));

                byte[] query = DnsMessage.Query(id, question, (ushort)ctx.Options.EdnsPayloadSize).Encode();
                sent[id] = ctx.Time.GetTimestamp();
                await socket.SendToAsync(query, server.EndPoint, cancellationToken).ConfigureAwait(false);
                ctx.Metrics.QuerySent("udp");
                if (attempt > 0)
                {
                    ctx.Metrics.Retransmission();
                    ResolverLog.Retransmitting(ctx.Logger, question.Name, question.Type, server, attempt);
                }

                using var timer = new CancellationTokenSource(rtt.BackedOff(attempt), ctx.Time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
                try
                {
                    while (true)
                    {
                        UdpReceiveFromResult received = await socket.ReceiveFromAsync(buffer, linked.Token).ConfigureAwait(false);
                        if (!received.RemoteEndPoint.Equals(server.EndPoint))
                        {
                            ctx.Metrics.ResponseDropped("source");
                            continue;
                        }

                        DnsMessage response;
                        try
                        {
                            response = DnsMessage.Parse(buffer.AsSpan(0, received.ReceivedBytes));
                        }
                        catch (DnsFormatException ex)
                        {
                            ctx.Metrics.ResponseDropped("malformed");
                            ResolverLog.MalformedResponse(ctx.Logger, server, ex.Message);
                            continue;
                        }

                        if (!sent.TryGetValue(response.Id, out long sentAt) || !QueryIds.Answers(response, response.Id, question))
                        {
                            ctx.Metrics.ResponseDropped("unmatched");
                            continue;
                        }

                        rtt.Sample(ctx.Time.GetElapsedTime(sentAt));
                        return response;
                    }
                }
                catch (OperationCanceledException) when (timer.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    // No answer to this transmission in time: send again (a late answer to it still counts).
                }
            }

            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async ValueTask<UdpSocket> BindRandomPortAsync(IVirtualNetwork network, CancellationToken cancellationToken)
    {
        for (int i = 0; i < MaxBindTries; i++)
        {
            try
            {
                return await network.BindUdpAsync(QueryIds.NextPort(), cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                // Taken: draw another.
            }
        }

        return await network.BindUdpAsync(0, cancellationToken).ConfigureAwait(false);
    }
}
