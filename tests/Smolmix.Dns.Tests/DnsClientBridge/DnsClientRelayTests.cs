using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using DnsClient;
using Smolmix.Dns.DnsClient;
using Smolmix.Dns.Tests.Resolver;
using Smolmix.Dns.Wire;
using Dc = global::DnsClient;

namespace Smolmix.Dns.Tests.DnsClientBridge;

/// <summary>DnsClient's <see cref="LookupClient"/> through the relay, the resolver and an in-memory tunnel to a scripted server.</summary>
public sealed class DnsClientRelayTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task An_A_query_goes_through_the_tunnel_and_returns_the_servers_address()
    {
        await using var bridge = new BridgeRig();
        LookupClient client = bridge.Relay.CreateLookupClient();

        IDnsQueryResponse response = await client.QueryAsync("www.example.com", QueryType.A).WaitAsync(Wait);

        Assert.False(response.HasError, response.ErrorMessage);
        Assert.Equal(BridgeRig.V4, Assert.Single(response.Answers.ARecords()).Address);
        DnsMessage seen = Assert.Single(bridge.Server.UdpQueries);
        Assert.Equal("www.example.com", seen.Questions[0].Name.TrimEnd('.'), StringComparer.OrdinalIgnoreCase);
        Assert.Equal(DnsRecordType.A, seen.Questions[0].Type);
        Assert.Equal(1, bridge.Relay.QueriesRelayed);
    }

    [Fact]
    public async Task AAAA_MX_and_TXT_come_back_as_DnsClient_records()
    {
        await using var bridge = new BridgeRig();
        LookupClient client = bridge.Relay.CreateLookupClient();

        IDnsQueryResponse aaaa = await client.QueryAsync("www.example.com", QueryType.AAAA).WaitAsync(Wait);
        IDnsQueryResponse mx = await client.QueryAsync("example.com", QueryType.MX).WaitAsync(Wait);
        IDnsQueryResponse txt = await client.QueryAsync("example.com", QueryType.TXT).WaitAsync(Wait);

        Assert.Equal(BridgeRig.V6, Assert.Single(aaaa.Answers.AaaaRecords()).Address);
        Dc.Protocol.MxRecord m = Assert.Single(mx.Answers.MxRecords());
        Assert.Equal(10, m.Preference);
        Assert.Equal("mail.example.com.", m.Exchange.Value);
        Assert.Equal("v=spf1 -all", Assert.Single(Assert.Single(txt.Answers.TxtRecords()).Text));
        Assert.Equal(3, bridge.Server.QueryCount);
    }

    [Fact]
    public async Task NXDOMAIN_reaches_DnsClient_as_NXDomain()
    {
        await using var bridge = new BridgeRig((q, _) => FakeDnsServer.Respond(q, DnsResponseCode.NameError, [], [FakeDnsServer.Soa("example.com", 60)]));
        LookupClient client = bridge.Relay.CreateLookupClient();

        IDnsQueryResponse response = await client.QueryAsync("nope.example.com", QueryType.A).WaitAsync(Wait);

        Assert.Equal(DnsHeaderResponseCode.NotExistentDomain, response.Header.ResponseCode);
        Assert.Empty(response.Answers);
    }

    [Fact]
    public async Task A_resolver_failure_is_answered_with_SERVFAIL_at_once()
    {
        await using var bridge = new BridgeRig((_, _) => FakeReply.Drop, o => o.Timeout = TimeSpan.FromSeconds(1));
        LookupClient client = bridge.Relay.CreateLookupClient(o => o.ThrowDnsErrors = false);

        // Wait (20 s) is half of DnsClient's own timeout (DnsClientRelay.DefaultTimeout, 40 s): an answer within it
        // is the check that DnsClient did not wait for its timeout (an elapsed-time assert after it could not fail).
        Assert.True(Wait < DnsClientRelay.DefaultTimeout, "the bound must stay below DnsClient's timeout for this test to mean anything");
        IDnsQueryResponse response = await client.QueryAsync("down.example.com", QueryType.A).WaitAsync(Wait);

        Assert.Equal(DnsHeaderResponseCode.ServerFailure, response.Header.ResponseCode);
        Assert.Equal(1, bridge.Relay.ServerFailures);
    }

    [Fact]
    public async Task A_big_answer_arrives_complete_through_truncation_and_TCP()
    {
        const int count = 300; // about 4.8 kB: more than DnsClient's 4096-byte EDNS buffer
        var addresses = Enumerable.Range(0, count).Select(i => new IPAddress([10, 1, (byte)(i / 256), (byte)(i % 256)])).ToArray();
        await using var bridge = new BridgeRig((q, tcp) => tcp
            ? FakeDnsServer.Answer(q, addresses.Select(a => (DnsRecord)new ARecord(q.Questions[0].Name, BridgeRig.Ttl, a)).ToArray())
            : FakeDnsServer.Respond(q, DnsResponseCode.NoError, [], truncated: true));
        LookupClient client = bridge.Relay.CreateLookupClient();

        IDnsQueryResponse response = await client.QueryAsync("big.example.com", QueryType.A).WaitAsync(Wait);

        Assert.False(response.HasError, response.ErrorMessage);
        Assert.Equal(addresses, response.Answers.ARecords().Select(r => r.Address));
        Assert.Equal(1, bridge.Relay.TruncatedResponses);
        Assert.Equal(2, bridge.Relay.QueriesReceived); // DnsClient asked over UDP, then over TCP
        Assert.Equal(1, bridge.Relay.QueriesRelayed); // the TCP retry was served without a second trip
        Assert.Single(bridge.Server.UdpQueries);
        Assert.Single(bridge.Server.TcpQueries);
    }

    [Fact]
    public async Task Big_answers_in_turn_share_DnsClients_TCP_connection_to_the_relay()
    {
        var addresses = Enumerable.Range(0, 300).Select(i => new IPAddress([10, 2, (byte)(i / 256), (byte)(i % 256)])).ToArray();
        await using var bridge = new BridgeRig((q, tcp) => tcp
            ? FakeDnsServer.Answer(q, addresses.Select(a => (DnsRecord)new ARecord(q.Questions[0].Name, BridgeRig.Ttl, a)).ToArray())
            : FakeDnsServer.Respond(q, DnsResponseCode.NoError, [], truncated: true));
        LookupClient client = bridge.Relay.CreateLookupClient();

        for (int i = 0; i < 3; i++)
        {
            IDnsQueryResponse response = await client.QueryAsync($"big{i}.example.com", QueryType.A).WaitAsync(Wait);
            Assert.Equal(addresses.Length, response.Answers.ARecords().Count());
        }

        Assert.Equal(3, bridge.Relay.TruncatedResponses);
        Assert.Equal(3, bridge.Relay.QueriesRelayed);
        Assert.Equal(0, bridge.Relay.QueriesDropped);
    }

    [Fact]
    public async Task The_client_has_exactly_the_relay_as_its_name_server()
    {
        await using var bridge = new BridgeRig();
        LookupClient client = bridge.Relay.CreateLookupClient(o => o.Timeout = TimeSpan.FromSeconds(5));

        NameServer server = Assert.Single(client.NameServers);
        Assert.Equal("127.0.0.1", server.Address);
        Assert.Equal(bridge.Relay.EndPoint.Port, server.Port);
        Assert.Equal(IPAddress.Loopback, bridge.Relay.EndPoint.Address);
        Assert.NotEqual(0, bridge.Relay.EndPoint.Port);
        Assert.Equal(TimeSpan.FromSeconds(5), client.Settings.Timeout);
        Assert.Equal(0, client.Settings.Retries);
        Assert.True(client.Settings.UseTcpFallback);
    }

    [Fact]
    public async Task Configuring_another_name_server_throws()
    {
        await using var bridge = new BridgeRig();

        Assert.Throws<InvalidOperationException>(() => bridge.Relay.CreateLookupClient(o => o.AutoResolveNameServers = true));

        // DnsClient exposes the list read-only; a configure that changes it anyway (a cast) is caught too.
        Assert.Throws<InvalidOperationException>(() => bridge.Relay.CreateLookupClient(o => Mutable(o).Add(new NameServer(IPAddress.Parse("9.9.9.9")))));
        Assert.Throws<InvalidOperationException>(() => bridge.Relay.CreateLookupClient(o =>
        {
            Mutable(o).Clear();
            Mutable(o).Add(new NameServer(IPAddress.Parse("9.9.9.9")));
        }));
        Assert.Throws<InvalidOperationException>(() => bridge.Relay.CreateLookupClient(o => Mutable(o).Clear()));
        Assert.Throws<InvalidOperationException>(() => bridge.Relay.CreateLookupClient(o => Mutable(o).Add(new NameServer(bridge.Relay.EndPoint))));
    }

    [Fact]
    public async Task Every_DnsClient_query_reaches_the_relay_and_the_tunnel_and_nothing_else()
    {
        await using var bridge = new BridgeRig();
        LookupClient client = bridge.Relay.CreateLookupClient();
        string[] names = Enumerable.Range(0, 20).Select(i => $"host{i}.example.com").ToArray();

        IDnsQueryResponse[] responses = await Task.WhenAll(names.Select(n => client.QueryAsync(n, QueryType.A))).WaitAsync(Wait);

        Assert.All(responses, r => Assert.Equal(BridgeRig.V4, Assert.Single(r.Answers.ARecords()).Address));
        Assert.Equal(names.Length, bridge.Relay.QueriesReceived);
        Assert.Equal(names.Length, bridge.Relay.QueriesRelayed);
        Assert.Equal(0, bridge.Relay.QueriesDropped);
        Assert.Equal(names.Length, bridge.Server.QueryCount);
        Assert.Equal(
            names.Order(StringComparer.Ordinal),
            bridge.Server.UdpQueries.Select(q => q.Questions[0].Name.TrimEnd('.').ToLowerInvariant()).Order(StringComparer.Ordinal));

        // Asked again: DnsClient answers from its own cache, and still nothing goes anywhere else.
        await client.QueryAsync(names[0], QueryType.A).WaitAsync(Wait);
        Assert.Equal(names.Length, bridge.Relay.QueriesReceived);
        Assert.Equal(names.Length, bridge.Server.QueryCount);
    }

    [Fact]
    public async Task Malformed_datagrams_and_connections_do_not_stop_the_relay()
    {
        await using var bridge = new BridgeRig();
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        byte[] response = [0x12, 0x34, 0x80, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1];
        byte[] twoQuestions = [0x12, 0x34, 0x01, 0x00, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1];
        byte[] badLabel = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0x3F, 0x61];
        byte[] optQuestion = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 41, 0, 1]; // well formed, refused by the resolver
        byte[][] junk = [[], [1, 2, 3], response, twoQuestions, badLabel, optQuestion, new byte[2000]];
        foreach (byte[] datagram in junk)
        {
            await udp.SendToAsync(datagram, SocketFlags.None, bridge.Relay.EndPoint);
        }

        await BridgeRig.EventuallyAsync(() => bridge.Relay.QueriesDropped == junk.Length, "every malformed datagram counted as dropped");

        using (var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await tcp.ConnectAsync(bridge.Relay.EndPoint);
            byte[] framed = new byte[2 + 3];
            BinaryPrimitives.WriteUInt16BigEndian(framed, 3);
            await tcp.SendAsync(framed, SocketFlags.None);
            byte[] buffer = new byte[16];
            int read = await tcp.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(Wait);
            Assert.Equal(0, read); // closed without an answer
        }

        IDnsQueryResponse answer = await bridge.Relay.CreateLookupClient().QueryAsync("www.example.com", QueryType.A).WaitAsync(Wait);
        Assert.Equal(BridgeRig.V4, Assert.Single(answer.Answers.ARecords()).Address);
        Assert.Equal(1, bridge.Server.QueryCount);
    }

    private static IList<NameServer> Mutable(LookupClientOptions options)
    {
        var list = Assert.IsAssignableFrom<IList<NameServer>>(options.NameServers);
        Assert.False(list.IsReadOnly, $"DnsClient's name server list is a {options.NameServers.GetType()}");
        return list;
    }
}
