using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Smolmix.Dns.Wire;

namespace Smolmix.Dns.Tests.Resolver;

/// <summary>The resolver over a bare in-memory stack pair, against scripted servers.</summary>
public sealed class TunnelResolverTests
{
    private static readonly IPAddress V4 = IPAddress.Parse("192.0.2.10");
    private static readonly IPAddress V6 = IPAddress.Parse("2001:db8::10");
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(300);

    private static FakeReply Normal(DnsMessage q) => q.Questions[0].Type switch
    {
        DnsRecordType.A => FakeDnsServer.Answer(q, new ARecord(q.Questions[0].Name, Ttl, V4)),
        DnsRecordType.AAAA => FakeDnsServer.Answer(q, new AaaaRecord(q.Questions[0].Name, Ttl, V6)),
        _ => FakeDnsServer.Answer(q),
    };

    [Fact]
    public async Task A_and_AAAA_are_asked_in_parallel_and_IPv4_comes_first()
    {
        await using var rig = new ResolverRig();
        using var bothArrived = new CountdownEvent(2);
        var server = rig.AddServer((q, _) =>
        {
            bothArrived.Signal();
            Assert.True(bothArrived.Wait(TimeSpan.FromSeconds(5)), "the second query did not arrive before the first was answered");
            return Normal(q);
        });
        var resolver = rig.Resolver(o => o.InitialRetransmitTimeout = TimeSpan.FromSeconds(10), server);

        IPAddress[] addresses = await resolver.GetHostAddressesAsync("www.example.com").WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal([V4, V6], addresses);
        Assert.Equal(2, server.UdpQueries.Count);
        Assert.All(server.UdpQueries, q => Assert.True(q.RecursionDesired));
        Assert.All(server.UdpQueries, q => Assert.Equal((ushort)1232, q.Edns!.Value.UdpPayloadSize));
    }

    [Fact]
    public async Task A_cached_answer_sends_no_query_and_counts_down_its_TTL()
    {
        await using var rig = new ResolverRig();
        var server = rig.AddServer((q, _) => Normal(q));
        var resolver = rig.Resolver(null, server);

        DnsAnswer first = await resolver.QueryAsync("www.example.com", DnsRecordType.A);
        int queries = server.QueryCount;
        long sent = resolver.Statistics.QueriesSent;
        var sw = Stopwatch.StartNew();
        DnsAnswer second = await resolver.QueryAsync("WWW.Example.COM.", DnsRecordType.A);
        sw.Stop();

        Assert.False(first.FromCache);
        Assert.True(second.FromCache);
        Assert.Equal(queries, server.QueryCount);
        Assert.Equal(sent, resolver.Statistics.QueriesSent);
        Assert.Equal(1, resolver.Statistics.CacheHits);
        Assert.Equal(V4, Assert.IsType<ARecord>(Assert.Single(second.Records)).Address);
        Assert.True(second.Records[0].TimeToLive <= Ttl);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(1), $"a cache hit took {sw.Elapsed}");
    }

    [Fact]
    public async Task Concurrent_identical_lookups_share_one_query()
    {
        await using var rig = new ResolverRig();
        var server = rig.AddServer((q, _) =>
        {
            Thread.Sleep(200);
            return Normal(q);
        });
        var resolver = rig.Resolver(o => o.InitialRetransmitTimeout = TimeSpan.FromSeconds(5), server);

        IPAddress[][] results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => resolver.GetHostAddressesAsync("shared.example.com"))).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.All(results, r => Assert.Equal([V4, V6], r));
        Assert.Equal(2, server.UdpQueries.Count);
        Assert.Equal(38, resolver.Statistics.Coalesced + resolver.Statistics.CacheHits);
    }

    [Fact]
    public async Task A_lost_query_is_sent_again_with_a_new_ID()
    {
        await using var rig = new ResolverRig();
        int seen = 0;
        var server = rig.AddServer((q, _) => Interlocked.Increment(ref seen) == 1 ? FakeReply.Drop : Normal(q));
        var resolver = rig.Resolver(null, server);

        DnsAnswer answer = await resolver.QueryAsync("lossy.example.com", DnsRecordType.A).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Single(answer.Records);
        DnsMessage[] queries = server.UdpQueries.ToArray();
        Assert.Equal(2, queries.Length);
        Assert.NotEqual(queries[0].Id, queries[1].Id);
        Assert.Equal(1, resolver.Statistics.Retransmissions);
    }

    [Fact]
    public async Task Retransmission_is_timed_from_the_measured_round_trip()
    {
        await using var rig = new ResolverRig();
        var server = rig.AddServer((q, _) => Normal(q));
        var resolver = rig.Resolver(o => o.InitialRetransmitTimeout = TimeSpan.FromSeconds(7), server);
        Assert.Null(resolver.ServerRoundTrips[0]);

        await resolver.QueryAsync("rtt.example.com", DnsRecordType.A);

        TimeSpan rtt = Assert.NotNull(resolver.ServerRoundTrips[0]);
        Assert.True(rtt < TimeSpan.FromSeconds(2), $"measured {rtt}");
    }

    [Fact]
    public async Task Responses_with_a_wrong_ID_or_port_or_question_or_malformed_are_dropped()
    {
        await using var rig = new ResolverRig();
        var server = rig.AddServer((q, _) =>
        {
            var good = FakeDnsServer.ResponseTo(q, DnsResponseCode.NoError, [new ARecord(q.Questions[0].Name, Ttl, V4)]);
            var wrongId = FakeDnsServer.ResponseTo(q, DnsResponseCode.NoError, [new ARecord(q.Questions[0].Name, Ttl, IPAddress.Parse("203.0.113.66"))], id: (ushort)(q.Id ^ 0x5a5a));
            var otherQuestion = DnsMessage.Query(q.Id, new DnsQuestion("evil.example.com", DnsRecordType.A));
            otherQuestion.IsResponse = true;
            otherQuestion.Answers.Add(new ARecord("evil.example.com", Ttl, IPAddress.Parse("203.0.113.67")));
            byte[] fromOtherPort = FakeDnsServer.ResponseTo(q, DnsResponseCode.NoError, [new ARecord(q.Questions[0].Name, Ttl, IPAddress.Parse("203.0.113.68"))]).Encode();
            return new FakeReply.Raw([
                (wrongId.Encode(), false),
                (otherQuestion.Encode(), false),
                (fromOtherPort, true),
                ([0xde, 0xad, 0xbe, 0xef], false),
                (good.Encode(), false)]);
        });
        var resolver = rig.Resolver(o => o.InitialRetransmitTimeout = TimeSpan.FromSeconds(5), server);

        DnsAnswer answer = await resolver.QueryAsync("victim.example.com", DnsRecordType.A).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(V4, Assert.IsType<ARecord>(Assert.Single(answer.Records)).Address);
        Assert.Equal(4, resolver.Statistics.ResponsesDropped);
    }

    [Fact]
    public async Task A_truncated_answer_is_asked_again_over_TCP()
    {
        await using var rig = new ResolverRig();
        ARecord[] many = Enumerable.Range(1, 120).Select(i => new ARecord("big.example.com", Ttl, new IPAddress(new byte[] { 198, 51, 100, (byte)i }))).ToArray();
        var server = rig.AddServer((q, tcp) => tcp
            ? FakeDnsServer.Respond(q, DnsResponseCode.NoError, many)
            : FakeDnsServer.Respond(q, DnsResponseCode.NoError, [], truncated: true));
        var resolver = rig.Resolver(null, server);

        IPAddress[] addresses = await resolver.GetHostAddressesAsync("big.example.com", AddressFamily.InterNetwork).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(many.Select(r => r.Address), addresses);
        Assert.Single(server.TcpQueries);
        Assert.Equal(1, resolver.Statistics.TcpFallbacks);
    }

    [Fact]
    public async Task A_SERVFAIL_moves_on_to_the_next_server()
    {
        await using var rig = new ResolverRig();
        var failing = rig.AddServer((q, _) => FakeDnsServer.Respond(q, DnsResponseCode.ServerFailure, []), port: 53);
        var working = rig.AddServer((q, _) => Normal(q), port: 5353);
        var resolver = rig.Resolver(o => o.InitialRetransmitTimeout = TimeSpan.FromSeconds(5), failing, working);

        DnsAnswer answer = await resolver.QueryAsync("fallback.example.com", DnsRecordType.A).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(working.EndPoint, answer.Server!.EndPoint);
        Assert.Single(failing.UdpQueries);
        await resolver.QueryAsync("next.example.com", DnsRecordType.A).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Single(failing.UdpQueries); // the server that answered is asked first from then on
    }

    [Fact]
    public async Task Every_server_failing_gives_TryAgain_with_the_response_code()
    {
        await using var rig = new ResolverRig();
        var a = rig.AddServer((q, _) => FakeDnsServer.Respond(q, DnsResponseCode.ServerFailure, []), port: 53);
        var b = rig.AddServer((q, _) => FakeDnsServer.Respond(q, DnsResponseCode.ServerFailure, []), port: 5353);
        var resolver = rig.Resolver(o => o.InitialRetransmitTimeout = TimeSpan.FromSeconds(5), a, b);

        var ex = await Assert.ThrowsAsync<DnsResolutionException>(() => resolver.GetHostAddressesAsync("broken.example.com", AddressFamily.InterNetwork)).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(SocketError.TryAgain, ex.SocketErrorCode);
        Assert.Equal(DnsResponseCode.ServerFailure, ex.ResponseCode);
        Assert.Contains("broken.example.com", ex.Message);
        Assert.Equal(1, a.QueryCount);
        Assert.Equal(1, b.QueryCount);
    }

    [Fact]
    public async Task NXDOMAIN_is_HostNotFound_and_is_cached_for_the_SOA_minimum()
    {
        await using var rig = new ResolverRig();
        var server = rig.AddServer((q, _) => FakeDnsServer.Respond(q, DnsResponseCode.NameError, [], [FakeDnsServer.Soa("example.com", 60)]));
        var resolver = rig.Resolver(null, server);

        var ex = await Assert.ThrowsAsync<DnsResolutionException>(() => resolver.GetHostAddressesAsync("nope.example.com"));
        int queries = server.QueryCount;
        var again = await Assert.ThrowsAsync<DnsResolutionException>(() => resolver.GetHostAddressesAsync("nope.example.com"));
        DnsAnswer answer = await resolver.QueryAsync("nope.example.com", DnsRecordType.A);

        Assert.Equal(SocketError.HostNotFound, ex.SocketErrorCode);
        Assert.Equal(DnsResponseCode.NameError, ex.ResponseCode);
        Assert.Equal(SocketError.HostNotFound, again.SocketErrorCode);
        Assert.Equal(2, queries);
        Assert.Equal(queries, server.QueryCount);
        Assert.True(answer.FromCache);
        Assert.Equal(DnsResponseCode.NameError, answer.ResponseCode);
        Assert.Empty(answer.Records);
    }

    [Fact]
    public async Task A_name_without_addresses_is_NoData()
    {
        await using var rig = new ResolverRig();
        var server = rig.AddServer((q, _) => FakeDnsServer.Respond(q, DnsResponseCode.NoError, [], [FakeDnsServer.Soa("example.com", 60)]));
        var resolver = rig.Resolver(null, server);

        var ex = await Assert.ThrowsAsync<DnsResolutionException>(() => resolver.GetHostAddressesAsync("empty.example.com"));

        Assert.Equal(SocketError.NoData, ex.SocketErrorCode);
    }

    [Fact]
    public async Task No_answer_at_all_fails_with_TryAgain_within_the_timeout()
    {
        await using var rig = new ResolverRig();
        var server = rig.AddServer((_, _) => FakeReply.Drop);
        var resolver = rig.Resolver(o => o.Timeout = TimeSpan.FromSeconds(2), server);
        var sw = Stopwatch.StartNew();

        var ex = await Assert.ThrowsAsync<DnsResolutionException>(() => resolver.GetHostAddressesAsync("silent.example.com")).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(SocketError.TryAgain, ex.SocketErrorCode);
        Assert.Null(ex.ResponseCode);
        Assert.InRange(sw.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(8));
        Assert.True(server.UdpQueries.Count >= 4, $"only {server.UdpQueries.Count} queries in 2 s");
    }

    [Fact]
    public async Task A_CNAME_chain_is_followed_in_one_answer_and_across_answers()
    {
        await using var rig = new ResolverRig();
        var server = rig.AddServer((q, _) => q.Questions[0].Name switch
        {
            "alias.example.com" => FakeDnsServer.Answer(q,
                new CnameRecord("alias.example.com", Ttl, "middle.example.com"),
                new CnameRecord("middle.example.com", TimeSpan.FromSeconds(120), "far.example.net")), // the chain leaves the zone: ask again
            "far.example.net" => FakeDnsServer.Answer(q,
                new CnameRecord("far.example.net", Ttl, "end.example.net"),
                new ARecord("end.example.net", Ttl, V4)),
            _ => FakeDnsServer.Respond(q, DnsResponseCode.NameError, [], [FakeDnsServer.Soa("example.com", 60)]),
        });
        var resolver = rig.Resolver(null, server);

        DnsAnswer answer = await resolver.QueryAsync("alias.example.com", DnsRecordType.A);

        Assert.Equal("end.example.net", answer.CanonicalName);
        Assert.Equal(["middle.example.com", "far.example.net", "end.example.net"], answer.Aliases.Select(a => a.CanonicalName));
        Assert.Equal(V4, Assert.IsType<ARecord>(Assert.Single(answer.Records)).Address);
        Assert.Equal(2, server.QueryCount);
        DnsAnswer cached = await resolver.QueryAsync("alias.example.com", DnsRecordType.A);
        Assert.True(cached.FromCache);
        Assert.True(cached.Records[0].TimeToLive <= TimeSpan.FromSeconds(120), "the chain is cached for its shortest TTL");
    }

    [Fact]
    public async Task A_CNAME_loop_is_an_error_not_a_hang()
    {
        await using var rig = new ResolverRig();
        var server = rig.AddServer((q, _) => FakeDnsServer.Answer(q,
            new CnameRecord("a.example.com", Ttl, "b.example.com"),
            new CnameRecord("b.example.com", Ttl, "a.example.com")));
        var resolver = rig.Resolver(o => o.Servers = [new DnsServer(server.EndPoint)], server);

        var ex = await Assert.ThrowsAsync<DnsResolutionException>(() => resolver.QueryAsync("a.example.com", DnsRecordType.A)).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.NotEqual(SocketError.Success, ex.SocketErrorCode);
    }

    [Fact]
    public async Task An_expired_answer_is_asked_again()
    {
        await using var rig = new ResolverRig();
        var server = rig.AddServer((q, _) => FakeDnsServer.Answer(q, new ARecord(q.Questions[0].Name, TimeSpan.FromSeconds(1), V4)));
        var resolver = rig.Resolver(null, server);

        await resolver.QueryAsync("short.example.com", DnsRecordType.A);
        await Task.Delay(1300);
        DnsAnswer again = await resolver.QueryAsync("short.example.com", DnsRecordType.A);

        Assert.False(again.FromCache);
        Assert.Equal(2, server.QueryCount);
    }

    [Fact]
    public async Task Serve_stale_answers_an_expired_name_when_no_server_answers()
    {
        await using var rig = new ResolverRig();
        bool online = true;
        var server = rig.AddServer((q, _) => Volatile.Read(ref online) ? FakeDnsServer.Answer(q, new ARecord(q.Questions[0].Name, TimeSpan.FromSeconds(1), V4)) : FakeReply.Drop);
        var resolver = rig.Resolver(o => { o.ServeStale = true; o.StaleAnswerDelay = TimeSpan.FromMilliseconds(500); o.Timeout = TimeSpan.FromSeconds(3); }, server);

        await resolver.QueryAsync("stale.example.com", DnsRecordType.A);
        Volatile.Write(ref online, false);
        await Task.Delay(1300);
        var sw = Stopwatch.StartNew();
        DnsAnswer stale = await resolver.QueryAsync("stale.example.com", DnsRecordType.A).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.True(stale.IsStale);
        Assert.Equal(TimeSpan.FromSeconds(30), stale.Records[0].TimeToLive);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2.5), $"the stale answer took {sw.Elapsed}");
        Assert.Equal(1, resolver.Statistics.StaleAnswers);
        await Assert.ThrowsAsync<DnsResolutionException>(() => resolver.QueryAsync("never.example.com", DnsRecordType.A)).WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Without_serve_stale_an_expired_name_fails_when_no_server_answers()
    {
        await using var rig = new ResolverRig();
        bool online = true;
        var server = rig.AddServer((q, _) => Volatile.Read(ref online) ? FakeDnsServer.Answer(q, new ARecord(q.Questions[0].Name, TimeSpan.FromSeconds(1), V4)) : FakeReply.Drop);
        var resolver = rig.Resolver(o => o.Timeout = TimeSpan.FromSeconds(2), server);

        await resolver.QueryAsync("stale.example.com", DnsRecordType.A);
        Volatile.Write(ref online, false);
        await Task.Delay(1300);

        await Assert.ThrowsAsync<DnsResolutionException>(() => resolver.QueryAsync("stale.example.com", DnsRecordType.A)).WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Cancelling_a_lookup_returns_at_once()
    {
        await using var rig = new ResolverRig();
        var server = rig.AddServer((_, _) => FakeReply.Drop);
        var resolver = rig.Resolver(o => o.Timeout = TimeSpan.FromSeconds(60), server);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var sw = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => resolver.GetHostAddressesAsync("slow.example.com", cts.Token)).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"cancellation took {sw.Elapsed}");
    }

    [Fact]
    public async Task Disposing_fails_lookups_in_flight()
    {
        await using var rig = new ResolverRig();
        var server = rig.AddServer((_, _) => FakeReply.Drop);
        var resolver = rig.Resolver(o => o.Timeout = TimeSpan.FromSeconds(60), server);
        Task<DnsAnswer> pending = resolver.QueryAsync("pending.example.com", DnsRecordType.A);
        await Task.Delay(100);

        await resolver.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => pending).WaitAsync(TimeSpan.FromSeconds(10));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => resolver.QueryAsync("after.example.com", DnsRecordType.A));
    }

    [Fact]
    public async Task Literals_and_localhost_resolve_without_a_query()
    {
        await using var rig = new ResolverRig();
        var server = rig.AddServer((q, _) => Normal(q));
        var resolver = rig.Resolver(null, server);

        Assert.Equal([IPAddress.Parse("203.0.113.5")], await resolver.GetHostAddressesAsync("203.0.113.5"));
        Assert.Equal([IPAddress.Parse("2001:db8::5")], await resolver.GetHostAddressesAsync("2001:db8::5"));
        Assert.Equal([IPAddress.Loopback, IPAddress.IPv6Loopback], await resolver.GetHostAddressesAsync("localhost"));
        Assert.Equal([IPAddress.Loopback], await resolver.GetHostAddressesAsync("app.localhost", AddressFamily.InterNetwork));
        Assert.Equal(0, server.QueryCount);
    }

    [Theory]
    [InlineData("")]
    [InlineData("exa mple.com")]
    [InlineData("a..b")]
    [InlineData("-")]
    public async Task Invalid_names_are_ArgumentExceptions(string name)
    {
        await using var rig = new ResolverRig();
        var server = rig.AddServer((q, _) => Normal(q));
        var resolver = rig.Resolver(null, server);

        if (name != "-")
        {
            await Assert.ThrowsAnyAsync<ArgumentException>(() => resolver.GetHostAddressesAsync(name));
        }

        await Assert.ThrowsAnyAsync<ArgumentException>(() => resolver.GetHostAddressesAsync(new string('a', 64) + ".com"));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => resolver.QueryAsync("example.com", DnsRecordType.OPT));
        Assert.Equal(0, server.QueryCount);
    }

    [Fact]
    public async Task An_internationalized_name_is_asked_in_its_ASCII_form()
    {
        await using var rig = new ResolverRig();
        var server = rig.AddServer((q, _) => Normal(q));
        var resolver = rig.Resolver(null, server);

        DnsAnswer answer = await resolver.QueryAsync("bücher.example", DnsRecordType.A);

        Assert.Equal("xn--bcher-kva.example", answer.Name);
        Assert.Equal("xn--bcher-kva.example", Assert.Single(server.UdpQueries).Questions[0].Name);
    }

    [Fact]
    public async Task MX_TXT_and_SRV_answers_come_back_typed()
    {
        await using var rig = new ResolverRig();
        var server = rig.AddServer((q, _) => q.Questions[0].Type switch
        {
            DnsRecordType.MX => FakeDnsServer.Answer(q, new MxRecord("example.com", Ttl, 10, "mail.example.com")),
            DnsRecordType.TXT => FakeDnsServer.Answer(q, new TxtRecord("example.com", Ttl, "v=spf1 -all", "second")),
            DnsRecordType.SRV => FakeDnsServer.Answer(q, new SrvRecord("_xmpp._tcp.example.com", Ttl, 5, 10, 5222, "xmpp.example.com")),
            _ => FakeDnsServer.Answer(q),
        });
        var resolver = rig.Resolver(null, server);

        MxRecord mx = Assert.Single((await resolver.QueryAsync("example.com", DnsRecordType.MX)).RecordsOf<MxRecord>());
        TxtRecord txt = Assert.Single((await resolver.QueryAsync("example.com", DnsRecordType.TXT)).RecordsOf<TxtRecord>());
        SrvRecord srv = Assert.Single((await resolver.QueryAsync("_xmpp._tcp.example.com", DnsRecordType.SRV)).RecordsOf<SrvRecord>());

        Assert.Equal(("mail.example.com", (ushort)10), (mx.Exchange, mx.Preference));
        Assert.Equal(["v=spf1 -all", "second"], txt.Text);
        Assert.Equal(((ushort)5222, "xmpp.example.com"), (srv.Port, srv.Target));
    }

    [Fact]
    public void Options_out_of_range_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new TunnelResolverOptions { Servers = [] }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new TunnelResolverOptions { Timeout = TimeSpan.Zero }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new TunnelResolverOptions { AttemptsPerServer = 0 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new TunnelResolverOptions { EdnsPayloadSize = 100 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new TunnelResolverOptions { CacheSize = -1 }.Validate());
        new TunnelResolverOptions().Validate();
    }

    [Fact]
    public async Task A_raw_query_is_exchanged_through_the_servers_with_its_own_ID()
    {
        await using var rig = new ResolverRig();
        var failing = rig.AddServer((q, _) => FakeDnsServer.Respond(q, DnsResponseCode.ServerFailure, []), port: 53);
        var working = rig.AddServer((q, _) => FakeDnsServer.Respond(q, DnsResponseCode.NameError, [], [FakeDnsServer.Soa("example.com", 60)]), port: 5353);
        var resolver = rig.Resolver(null, failing, working);
        byte[] query = DnsMessage.Query(0x1234, new DnsQuestion("raw.example.com", DnsRecordType.TXT)).Encode();

        DnsMessage response = DnsMessage.Parse(await resolver.ExchangeAsync(query));

        Assert.Equal(0x1234, response.Id);
        Assert.Equal(DnsResponseCode.NameError, response.ResponseCode);
        Assert.IsType<SoaRecord>(Assert.Single(response.Authorities));
        Assert.NotEqual(0x1234, Assert.Single(working.UdpQueries).Id); // the query on the wire has an ID of its own
        await Assert.ThrowsAsync<ArgumentException>(() => resolver.ExchangeAsync(new byte[] { 1, 2, 3 }));
    }
}
