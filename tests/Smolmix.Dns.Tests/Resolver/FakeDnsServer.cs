using System.Collections.Concurrent;
using System.Net;
using Smolmix.Dns.Resolver;
using Smolmix.Dns.Wire;

namespace Smolmix.Dns.Tests.Resolver;

/// <summary>What a <see cref="FakeDnsServer"/> does with one query.</summary>
internal abstract record FakeReply
{
    public static readonly FakeReply Drop = new DropReply();

    public sealed record DropReply : FakeReply;

    /// <summary>Sends these datagrams/messages in order; each is (bytes, sent from another port?).</summary>
    public sealed record Raw(IReadOnlyList<(byte[] Bytes, bool FromOtherPort)> Messages) : FakeReply;
}

/// <summary>
/// A DNS server on a <see cref="NetStack"/> (UDP and TCP on one port) whose answers a test scripts:
/// the handler sees each query (and whether it came over TCP) and returns what to send back.
/// </summary>
internal sealed class FakeDnsServer : IAsyncDisposable
{
    private readonly UdpSocket _udp;
    private readonly UdpSocket _otherPort;
    private readonly TcpStreamListener _tcp;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _udpLoop;
    private readonly Task _tcpLoop;
    private readonly Func<DnsMessage, bool, FakeReply> _handler;

    public FakeDnsServer(NetStack stack, int port, Func<DnsMessage, bool, FakeReply> handler)
    {
        _handler = handler;
        _udp = stack.BindUdp(port);
        _otherPort = stack.BindUdp(0);
        _tcp = stack.Listen(port);
        EndPoint = new IPEndPoint(ResolverRig.ServerAddress, port);
        _udpLoop = Task.Run(UdpLoopAsync);
        _tcpLoop = Task.Run(TcpLoopAsync);
    }

    public IPEndPoint EndPoint { get; }

    public ConcurrentQueue<DnsMessage> UdpQueries { get; } = new();

    public ConcurrentQueue<DnsMessage> TcpQueries { get; } = new();

    public int QueryCount => UdpQueries.Count + TcpQueries.Count;

    /// <summary>The normal answer: the records given for the question, NOERROR.</summary>
    public static FakeReply Answer(DnsMessage query, params DnsRecord[] records) => Respond(query, DnsResponseCode.NoError, records);

    public static FakeReply Respond(DnsMessage query, DnsResponseCode code, DnsRecord[] answers, DnsRecord[]? authorities = null, bool truncated = false, ushort? id = null)
    {
        DnsMessage r = ResponseTo(query, code, answers, authorities, truncated, id);
        return new FakeReply.Raw([(r.Encode(), false)]);
    }

    public static DnsMessage ResponseTo(DnsMessage query, DnsResponseCode code, DnsRecord[] answers, DnsRecord[]? authorities = null, bool truncated = false, ushort? id = null)
    {
        var r = new DnsMessage { Id = id ?? query.Id, IsResponse = true, RecursionDesired = true, RecursionAvailable = true, ResponseCode = code, Truncated = truncated };
        r.Questions.AddRange(query.Questions);
        r.Answers.AddRange(answers);
        if (authorities is not null)
        {
            r.Authorities.AddRange(authorities);
        }

        return r;
    }

    public static SoaRecord Soa(string zone, uint minimum) =>
        new(zone, TimeSpan.FromSeconds(minimum), "ns." + zone, "hostmaster." + zone, 1, 3600, 600, 86400, minimum);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _udp.Dispose();
        _otherPort.Dispose();
        _tcp.Dispose();
        await Task.WhenAll(_udpLoop, _tcpLoop).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { });
        _stop.Dispose();
    }

    private async Task UdpLoopAsync()
    {
        var buffer = new byte[65535];
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                UdpReceiveFromResult r = await _udp.ReceiveFromAsync(buffer, _stop.Token);
                DnsMessage query = DnsMessage.Parse(buffer.AsSpan(0, r.ReceivedBytes));
                UdpQueries.Enqueue(query);
                IPEndPoint client = r.RemoteEndPoint;
                _ = Task.Run(async () =>
                {
                    // Each query on its own task, as a real server answers them concurrently.
                    if (_handler(query, false) is FakeReply.Raw raw)
                    {
                        foreach (var (bytes, other) in raw.Messages)
                        {
                            await (other ? _otherPort : _udp).SendToAsync(bytes, client, _stop.Token);
                        }
                    }
                });
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
        }
    }

    private async Task TcpLoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpStream s = await _tcp.AcceptAsync(_stop.Token);
                _ = Task.Run(async () =>
                {
                    await using (s)
                    {
                        var buffer = new byte[65535];
                        DnsMessage? query = await StreamFraming.ReadAsync(s, buffer, _stop.Token);
                        if (query is null)
                        {
                            return;
                        }

                        TcpQueries.Enqueue(query);
                        if (_handler(query, true) is FakeReply.Raw raw)
                        {
                            foreach (var (bytes, _) in raw.Messages)
                            {
                                await StreamFraming.WriteAsync(s, bytes, _stop.Token);
                            }
                        }

                        s.ShutdownWrite();
                        _ = await s.ReadAsync(buffer, _stop.Token); // wait for the client to close
                    }
                });
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
        }
    }
}
