using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Smolmix.Devnet;
using Smolmix.Dns.Tests.Support;
using Xunit.Abstractions;

namespace Smolmix.Dns.Tests.ThroughDevnet;

/// <summary>
/// The resolver's public API through the Devnet (a real <see cref="Tunnel"/>, the mixnet model, the
/// exit and its NAT) against unbound from Debian, a DNS server no one here wrote.
/// </summary>
public sealed class ResolverAgainstUnboundTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    [SkippableFact]
    public async Task Addresses_chains_and_negative_answers_come_through_the_tunnel()
    {
        using var cts = new CancellationTokenSource(Limit);
        await using var rig = await UnboundBehindDevnet.StartAsync(cts.Token);
        await using TunnelResolver resolver = rig.Resolver();

        IPAddress[] www = await resolver.GetHostAddressesAsync(TestZone.HostName, cts.Token);
        Assert.Equal([TestZone.HostV4, TestZone.HostV6], www);
        Assert.Equal(2, resolver.Statistics.QueriesSent); // A and AAAA, in parallel

        DnsAnswer chain = await resolver.QueryAsync(TestZone.CnameChainStart, DnsRecordType.A, cts.Token);
        Assert.Equal(TestZone.CnameChain.Skip(1), chain.Aliases.Select(a => a.CanonicalName));
        Assert.Equal(TestZone.CnameTargetName, chain.CanonicalName);
        Assert.Equal(TestZone.CnameTargetV4, Assert.IsType<ARecord>(Assert.Single(chain.Records)).Address);
        Assert.Equal([TestZone.CnameTargetV4, TestZone.CnameTargetV6], await resolver.GetHostAddressesAsync(TestZone.CnameChainStart, cts.Token));

        var nx = await Assert.ThrowsAsync<DnsResolutionException>(() => resolver.GetHostAddressesAsync(TestZone.NxDomainName, cts.Token));
        Assert.Equal(SocketError.HostNotFound, nx.SocketErrorCode);
        Assert.Equal(DnsResponseCode.NameError, nx.ResponseCode);
        DnsAnswer nxCached = await resolver.QueryAsync(TestZone.NxDomainName, DnsRecordType.A, cts.Token);
        Assert.True(nxCached.FromCache, "NXDOMAIN is cached (RFC 2308)");

        Assert.Equal([TestZone.V4OnlyV4], await resolver.GetHostAddressesAsync(TestZone.V4OnlyName, cts.Token));
        var noData = await Assert.ThrowsAsync<DnsResolutionException>(() => resolver.GetHostAddressesAsync(TestZone.V4OnlyName, AddressFamily.InterNetworkV6, cts.Token));
        Assert.Equal(SocketError.NoData, noData.SocketErrorCode);

        var sw = Stopwatch.StartNew();
        var servfail = await Assert.ThrowsAsync<DnsResolutionException>(() => resolver.GetHostAddressesAsync(TestZone.ServFailName, cts.Token));
        Assert.Equal(SocketError.TryAgain, servfail.SocketErrorCode);
        Assert.Equal(DnsResponseCode.ServerFailure, servfail.ResponseCode);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), $"SERVFAIL took {sw.Elapsed}: it is a definite answer, not a reason to wait for the timeout");
        output.WriteLine($"statistics: {resolver.Statistics}");
    }

    [SkippableFact]
    public async Task A_truncated_answer_comes_back_over_TCP_and_fifty_addresses_over_UDP()
    {
        using var cts = new CancellationTokenSource(Limit);
        await using var rig = await UnboundBehindDevnet.StartAsync(cts.Token);
        await using TunnelResolver resolver = rig.Resolver();

        DnsAnswer big = await resolver.QueryAsync(TestZone.BigTxtName, DnsRecordType.TXT, cts.Token);
        Assert.Equal(TestZone.BigTxtStrings.Order(), big.RecordsOf<TxtRecord>().SelectMany(t => t.Text).Order());
        Assert.Equal(1, resolver.Statistics.TcpFallbacks);

        IPAddress[] many = await resolver.GetHostAddressesAsync(TestZone.ManyName, AddressFamily.InterNetwork, cts.Token);
        Assert.Equal(TestZone.ManyAddresses.Select(a => a.ToString()).Order(), many.Select(a => a.ToString()).Order());
        Assert.Equal(1, resolver.Statistics.TcpFallbacks); // 50 A records fit in 1232 bytes
    }

    [SkippableFact]
    public async Task TXT_MX_and_SRV_records_come_back_typed()
    {
        using var cts = new CancellationTokenSource(Limit);
        await using var rig = await UnboundBehindDevnet.StartAsync(cts.Token);
        await using TunnelResolver resolver = rig.Resolver();

        TxtRecord txt = Assert.Single((await resolver.QueryAsync(TestZone.TxtName, DnsRecordType.TXT, cts.Token)).RecordsOf<TxtRecord>());
        Assert.Equal(TestZone.TxtStrings, txt.Text);
        MxRecord[] mx = (await resolver.QueryAsync(TestZone.MxName, DnsRecordType.MX, cts.Token)).RecordsOf<MxRecord>().OrderBy(m => m.Preference).ToArray();
        Assert.Equal([(10, TestZone.Mail1Name), (20, TestZone.Mail2Name)], mx.Select(m => ((int)m.Preference, m.Exchange)));
        SrvRecord srv = Assert.Single((await resolver.QueryAsync(TestZone.SrvName, DnsRecordType.SRV, cts.Token)).RecordsOf<SrvRecord>());
        Assert.Equal((10, 60, 853, TestZone.DnsServerName), ((int)srv.Priority, (int)srv.Weight, (int)srv.Port, srv.Target));
    }

    [SkippableFact]
    public async Task A_cache_hit_costs_no_round_trip_and_an_expired_answer_is_asked_again()
    {
        using var cts = new CancellationTokenSource(Limit);
        await using var rig = await UnboundBehindDevnet.StartAsync(cts.Token);
        await using TunnelResolver resolver = rig.Resolver();

        await resolver.GetHostAddressesAsync(TestZone.HostName, cts.Token);
        long sent = resolver.Statistics.QueriesSent;
        long toEgress = rig.Devnet.Counters.Exit.PacketsToEgress;
        var sw = Stopwatch.StartNew();
        IPAddress[] again = await resolver.GetHostAddressesAsync(TestZone.HostName, cts.Token);
        sw.Stop();
        Assert.Equal([TestZone.HostV4, TestZone.HostV6], again);
        Assert.Equal(sent, resolver.Statistics.QueriesSent);
        Assert.Equal(toEgress, rig.Devnet.Counters.Exit.PacketsToEgress);
        output.WriteLine($"cache hit: {sw.Elapsed.TotalMilliseconds:0.000} ms");

        await resolver.QueryAsync(TestZone.ShortTtlName, DnsRecordType.A, cts.Token);
        await Task.Delay(TimeSpan.FromSeconds(TestZone.ShortTtl + 0.5), cts.Token);
        DnsAnswer refreshed = await resolver.QueryAsync(TestZone.ShortTtlName, DnsRecordType.A, cts.Token);
        Assert.False(refreshed.FromCache);
    }

    [SkippableFact]
    public async Task Lost_queries_are_retransmitted_on_a_lossy_mixnet()
    {
        using var cts = new CancellationTokenSource(Limit);
        MixnetOptions lossy = MixnetOptions.ForPreset(DevnetPreset.Instant) with { LossRate = 0.1 };
        await using var rig = await UnboundBehindDevnet.StartAsync(cts.Token, lossy);
        await using TunnelResolver resolver = rig.Resolver(o => o.InitialRetransmitTimeout = TimeSpan.FromSeconds(1));

        // Distinct names (no cache help) until a loss has hit a query or its answer, at most 150 lookups.
        int answered = 0;
        for (int i = 0; i < 150 && resolver.Statistics.Retransmissions == 0; i++)
        {
            DnsAnswer answer = await resolver.QueryAsync($"n{i}.{TestZone.Name}", DnsRecordType.A, cts.Token);
            Assert.Equal(DnsResponseCode.NameError, answer.ResponseCode);
            answered++;
        }

        Assert.Equal(TestZone.HostV4, (await resolver.GetHostAddressesAsync(TestZone.HostName, AddressFamily.InterNetwork, cts.Token))[0]);
        output.WriteLine($"{answered} lookups; statistics: {resolver.Statistics}; mixnet lost {rig.Devnet.Counters.Mixnet.MessagesLost} messages");
        Assert.True(rig.Devnet.Counters.Mixnet.MessagesLost > 0);
        Assert.True(resolver.Statistics.Retransmissions > 0, "with 10 % loss some query or answer was lost and sent again");
    }

    [SkippableFact]
    public async Task DNS_over_TLS_validates_the_test_CA_and_refuses_a_wrong_name()
    {
        using var cts = new CancellationTokenSource(Limit);
        await using var rig = await UnboundBehindDevnet.StartAsync(cts.Token);
        var roots = new X509Certificate2Collection(rig.Unbound.CaCertificate);
        await using TunnelResolver resolver = rig.Resolver(o =>
        {
            o.Servers = [DnsServer.Tls(UnboundBehindDevnet.TlsServer, UnboundServer.TlsServerName)];
            o.TlsTrustedRoots = roots;
        });

        Assert.Equal([TestZone.HostV4, TestZone.HostV6], await resolver.GetHostAddressesAsync(TestZone.HostName, cts.Token));
        Assert.Equal(TestZone.BigTxtCount, (await resolver.QueryAsync(TestZone.BigTxtName, DnsRecordType.TXT, cts.Token)).Records.Count);
        Assert.Equal(0, resolver.Statistics.TcpFallbacks);
        Assert.Equal(3, resolver.Statistics.QueriesSent); // one TLS connection carried all three

        await using TunnelResolver wrongName = rig.Resolver(o =>
        {
            o.Servers = [DnsServer.Tls(UnboundBehindDevnet.TlsServer, "not-the-server.example")];
            o.TlsTrustedRoots = roots;
            o.Timeout = TimeSpan.FromSeconds(20);
        });
        var refused = await Assert.ThrowsAsync<DnsResolutionException>(() => wrongName.GetHostAddressesAsync(TestZone.HostName, AddressFamily.InterNetwork, cts.Token));
        Assert.Contains("not-the-server.example", refused.Message);

        await using TunnelResolver systemRoots = rig.Resolver(o =>
        {
            o.Servers = [DnsServer.Tls(UnboundBehindDevnet.TlsServer, UnboundServer.TlsServerName)];
            o.Timeout = TimeSpan.FromSeconds(20);
        });
        await Assert.ThrowsAsync<DnsResolutionException>(() => systemRoots.GetHostAddressesAsync(TestZone.HostName, AddressFamily.InterNetwork, cts.Token));
    }
}
