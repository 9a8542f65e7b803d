using Smolmix.Dns.Wire;

namespace Smolmix.Dns.Resolver;

/// <summary>One question to one server over a TCP connection of its own (the fallback for a truncated UDP answer).</summary>
internal static class TcpExchange
{
    public static async Task<DnsMessage> QueryAsync(ResolverContext ctx, DnsServer server, DnsQuestion question, CancellationToken cancellationToken)
    {
        using var connectTimer = new CancellationTokenSource(ctx.Options.ConnectTimeout, ctx.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, connectTimer.Token);
        TcpStream tcp;
        try
        {
            tcp = await ctx.Network.ConnectTcpAsync(server.EndPoint, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (connectTimer.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"No TCP connection to the DNS server {server} within {ctx.Options.ConnectTimeout.TotalSeconds:0.#} s.");
        }

        await using (tcp.ConfigureAwait(false))
        {
            ushort id = QueryIds.NextId();
            byte[] query = DnsMessage.Query(id, question, (ushort)ctx.Options.EdnsPayloadSize).Encode();
            await StreamFraming.WriteAsync(tcp, query, cancellationToken).ConfigureAwait(false);
            ctx.Metrics.QuerySent("tcp");
            var buffer = new byte[65535];
            while (true)
            {
                DnsMessage response = await StreamFraming.ReadAsync(tcp, buffer, cancellationToken).ConfigureAwait(false)
                    ?? throw new IOException($"The DNS server {server} closed the TCP connection without answering.");
                if (QueryIds.Answers(response, id, question))
                {
                    return response;
                }

                ctx.Metrics.ResponseDropped("unmatched");
            }
        }
    }
}
