using System.Net;
using System.Security.Cryptography;
using Smolmix.Devnet.Dns;
using Smolmix.Dns;
using Smolmix.Dns.Wire;

namespace Smolmix.Devnet.Tests.Dns;

/// <summary>The Devnet's zone without sockets: answers, negative answers, truncation, hostile input.</summary>
public sealed class DnsZoneTests
{
    private static readonly IPEndPoint Demo = new(IPAddress.Loopback, 8443);

    private static DnsZone Zone(params DnsRecord[] records) => DnsZone.Build(
        new Dictionary<string, IPEndPoint> { ["demo.smolmix.test"] = Demo, ["Another.Example"] = new(IPAddress.Loopback, 80) },
        records);

    private static DnsMessage Ask(DnsZone zone, string name, DnsRecordType type, bool udp = true, ushort? edns = DnsEdns.DefaultPayloadSize)
    {
        byte[]? wire = zone.Respond(DnsMessage.Query(4242, new DnsQuestion(name, type), edns).Encode(), udp, out _, out _);
        Assert.NotNull(wire);
        DnsMessage m = DnsMessage.Parse(wire);
        Assert.Equal(4242, m.Id);
        Assert.True(m.IsResponse);
        Assert.True(m.RecursionAvailable);
        return m;
    }

    [Fact]
    public void Hosts_GetBenchmarkingAddresses_InNameOrder()
    {
        DnsZone zone = Zone();
        Assert.Equal(["another.example", "demo.smolmix.test"], zone.Hosts.Select(h => h.Name));
        Assert.Equal(IPAddress.Parse("198.18.0.1"), zone.Hosts[0].IPv4);
        Assert.Equal(IPAddress.Parse("2001:2::1"), zone.Hosts[0].IPv6);
        Assert.Equal(IPAddress.Parse("198.18.0.2"), zone.Hosts[1].IPv4);
        Assert.Equal(IPAddress.Parse("2001:2::2"), zone.Hosts[1].IPv6);
        Assert.Equal(Demo, zone.Hosts[1].Target);
        Assert.Equal(IPAddress.Parse("198.19.0.0"), DnsZone.HostV4(1 << 16));
        Assert.Equal(IPAddress.Parse("198.19.255.254"), DnsZone.HostV4(DnsZone.MaxHosts));
        Assert.Equal("demo.smolmix.test=198.18.0.2,2001:2::2 -> 127.0.0.1:8443", zone.Hosts[1].ToString());
    }

    [Fact]
    public void A_And_Aaaa_AreAnswered_CaseInsensitively()
    {
        DnsZone zone = Zone();
        DnsMessage a = Ask(zone, "DEMO.Smolmix.TEST", DnsRecordType.A);
        Assert.Equal(DnsResponseCode.NoError, a.ResponseCode);
        Assert.Equal(IPAddress.Parse("198.18.0.2"), Assert.IsType<ARecord>(Assert.Single(a.Answers)).Address);
        Assert.NotNull(a.Edns);

        DnsMessage aaaa = Ask(zone, "demo.smolmix.test.", DnsRecordType.AAAA, edns: null);
        Assert.Equal(IPAddress.Parse("2001:2::2"), Assert.IsType<AaaaRecord>(Assert.Single(aaaa.Answers)).Address);
        Assert.Null(aaaa.Edns);
    }

    [Fact]
    public void UnknownName_IsNxdomain_WithTheSoa()
    {
        DnsMessage m = Ask(Zone(), "nope.smolmix.test", DnsRecordType.A);
        Assert.Equal(DnsResponseCode.NameError, m.ResponseCode);
        Assert.Empty(m.Answers);
        SoaRecord soa = Assert.IsType<SoaRecord>(Assert.Single(m.Authorities));
        Assert.Equal(DnsZone.NegativeTtlSeconds, soa.Minimum);
        Assert.Equal(TimeSpan.FromSeconds(DnsZone.NegativeTtlSeconds), soa.TimeToLive);
    }

    [Theory]
    [InlineData("demo.smolmix.test", DnsRecordType.TXT)]
    [InlineData("smolmix.test", DnsRecordType.A)] // only a descendant exists: NODATA (RFC 8020)
    [InlineData("test", DnsRecordType.AAAA)]
    public void NameWithoutTheType_IsNodata_WithTheSoa(string name, DnsRecordType type)
    {
        DnsMessage m = Ask(Zone(), name, type);
        Assert.Equal(DnsResponseCode.NoError, m.ResponseCode);
        Assert.Empty(m.Answers);
        Assert.IsType<SoaRecord>(Assert.Single(m.Authorities));
    }

    [Fact]
    public void ExtraRecords_AndCnameChains_AreAnswered()
    {
        DnsZone zone = Zone(
            new CnameRecord("www.smolmix.test", TimeSpan.FromSeconds(60), "demo.smolmix.test"),
            new CnameRecord("dangling.smolmix.test", TimeSpan.FromSeconds(60), "gone.smolmix.test"),
            new TxtRecord("demo.smolmix.test", TimeSpan.FromSeconds(60), "hello"),
            new MxRecord("smolmix.test", TimeSpan.FromSeconds(60), 10, "mail.smolmix.test"));
        DnsMessage a = Ask(zone, "WWW.smolmix.test", DnsRecordType.A);
        Assert.Equal(2, a.Answers.Count);
        Assert.Equal("demo.smolmix.test", Assert.IsType<CnameRecord>(a.Answers[0]).CanonicalName);
        Assert.Equal(IPAddress.Parse("198.18.0.2"), Assert.IsType<ARecord>(a.Answers[1]).Address);

        Assert.IsType<CnameRecord>(Assert.Single(Ask(zone, "www.smolmix.test", DnsRecordType.CNAME).Answers));
        Assert.Equal(["hello"], Assert.IsType<TxtRecord>(Assert.Single(Ask(zone, "demo.smolmix.test", DnsRecordType.TXT).Answers)).Text);
        Assert.IsType<MxRecord>(Assert.Single(Ask(zone, "smolmix.test", DnsRecordType.MX).Answers));
        Assert.Equal(3, Ask(zone, "demo.smolmix.test", DnsRecordType.ANY).Answers.Count);

        DnsMessage dangling = Ask(zone, "dangling.smolmix.test", DnsRecordType.A);
        Assert.Equal(DnsResponseCode.NameError, dangling.ResponseCode);
        Assert.IsType<CnameRecord>(Assert.Single(dangling.Answers));
    }

    [Fact]
    public void CnameLoop_EndsInServfail()
    {
        DnsZone zone = Zone(
            new CnameRecord("a.loop.test", TimeSpan.FromSeconds(60), "b.loop.test"),
            new CnameRecord("b.loop.test", TimeSpan.FromSeconds(60), "a.loop.test"));
        DnsMessage m = Ask(zone, "a.loop.test", DnsRecordType.A);
        Assert.Equal(DnsResponseCode.ServerFailure, m.ResponseCode);
        Assert.Equal(DnsZone.MaxCnameHops, m.Answers.Count);
    }

    [Fact]
    public void LargeAnswers_AreTruncatedOverUdp_AtThePayloadSize_AndWholeOverTcp()
    {
        DnsRecord[] txts = Enumerable.Range(0, 12).Select(i => (DnsRecord)new TxtRecord("big.smolmix.test", TimeSpan.FromSeconds(60), new string((char)('a' + i), 200))).ToArray();
        DnsZone zone = Zone(txts);

        byte[] noEdns = zone.Respond(DnsMessage.Query(1, new DnsQuestion("big.smolmix.test", DnsRecordType.TXT), null).Encode(), true, out _, out bool t1)!;
        Assert.True(t1);
        Assert.True(noEdns.Length <= 512);
        Assert.True(DnsMessage.Parse(noEdns).Truncated);

        byte[] huge = zone.Respond(DnsMessage.Query(2, new DnsQuestion("big.smolmix.test", DnsRecordType.TXT), 65000).Encode(), true, out _, out bool t2)!;
        Assert.True(t2); // about 2.5 KB: above the 1232-byte cap whatever the client advertises
        Assert.Empty(DnsMessage.Parse(huge).Answers);

        byte[] tcp = zone.Respond(DnsMessage.Query(3, new DnsQuestion("big.smolmix.test", DnsRecordType.TXT), 65000).Encode(), false, out _, out bool t3)!;
        Assert.False(t3);
        Assert.Equal(12, DnsMessage.Parse(tcp).Answers.Count);

        byte[] small = zone.Respond(DnsMessage.Query(4, new DnsQuestion("demo.smolmix.test", DnsRecordType.A), null).Encode(), true, out _, out bool t4)!;
        Assert.False(t4);
        Assert.Single(DnsMessage.Parse(small).Answers);
    }

    [Fact]
    public void ErrorCodes_ForQueriesTheZoneDoesNotServe()
    {
        DnsZone zone = Zone();
        var chaos = DnsMessage.Query(7, new DnsQuestion("version.bind", DnsRecordType.TXT, 3));
        Assert.Equal(DnsResponseCode.Refused, zone.Answer(chaos).ResponseCode);

        var notify = DnsMessage.Query(8, new DnsQuestion("demo.smolmix.test", DnsRecordType.A));
        notify.Opcode = 4;
        Assert.Equal(DnsResponseCode.NotImplemented, zone.Answer(notify).ResponseCode);

        var two = DnsMessage.Query(9, new DnsQuestion("demo.smolmix.test", DnsRecordType.A));
        two.Questions.Add(new DnsQuestion("demo.smolmix.test", DnsRecordType.AAAA));
        Assert.Equal(DnsResponseCode.FormatError, zone.Answer(two).ResponseCode);

        var none = DnsMessage.Query(10, new DnsQuestion("x", DnsRecordType.A));
        none.Questions.Clear();
        Assert.Equal(DnsResponseCode.FormatError, zone.Answer(none).ResponseCode);

        var ednsV1 = DnsMessage.Query(11, new DnsQuestion("demo.smolmix.test", DnsRecordType.A));
        ednsV1.Edns = new DnsEdns(1232, Version: 1);
        DnsMessage badvers = DnsMessage.Parse(zone.Respond(ednsV1.Encode(), true, out _, out _)!);
        Assert.Equal(DnsResponseCode.BadVersion, badvers.ResponseCode);
    }

    [Fact]
    public void HostileInput_NeverThrows_ShortAndResponsesAreDropped_RestGetsFormerr()
    {
        DnsZone zone = Zone();
        Assert.Null(zone.Respond([], true, out DnsOutcome o1, out _));
        Assert.Equal(DnsOutcome.Dropped, o1);
        Assert.Null(zone.Respond(new byte[11], true, out _, out _));

        byte[] response = Ask(zone, "demo.smolmix.test", DnsRecordType.A).Encode();
        Assert.Null(zone.Respond(response, true, out DnsOutcome o2, out _));
        Assert.Equal(DnsOutcome.Dropped, o2);

        // A header that claims a question, then nothing.
        byte[] cut = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 3, (byte)'a'];
        DnsMessage formerr = DnsMessage.Parse(zone.Respond(cut, true, out DnsOutcome o3, out _)!);
        Assert.Equal(DnsOutcome.FormatError, o3);
        Assert.Equal(0x1234, formerr.Id);
        Assert.Equal(DnsResponseCode.FormatError, formerr.ResponseCode);
        Assert.True(formerr.RecursionDesired);

        var random = new Random(99);
        byte[] valid = DnsMessage.Query(5, new DnsQuestion("demo.smolmix.test", DnsRecordType.A)).Encode();
        for (int i = 0; i < 20000; i++)
        {
            byte[] input;
            if (i % 2 == 0)
            {
                input = new byte[random.Next(0, 600)];
                random.NextBytes(input);
            }
            else
            {
                input = (byte[])valid.Clone();
                for (int k = random.Next(1, 6); k > 0; k--)
                {
                    input[random.Next(input.Length)] = (byte)random.Next(256);
                }
            }

            byte[]? answer = zone.Respond(input, i % 3 != 0, out _, out _);
            if (answer is not null)
            {
                DnsMessage parsed = DnsMessage.Parse(answer);
                Assert.True(parsed.IsResponse);
            }
        }
    }

    [Fact]
    public void Validate_RejectsBadHostsAndRecords_WithClearMessages()
    {
        static ArgumentException Fails(Action<DevnetOptions> configure)
        {
            var options = new DevnetOptions();
            configure(options);
            return Assert.ThrowsAny<ArgumentException>(options.Validate);
        }

        Assert.Contains("userspace NAT", Fails(o =>
        {
            o.Egress = DevnetEgressMode.Kernel;
            o.Hosts["a.test"] = Demo;
        }).Message, StringComparison.Ordinal);
        Assert.Contains("not loopback", Fails(o => o.Hosts["a.test"] = new IPEndPoint(IPAddress.Parse("192.0.2.1"), 80)).Message, StringComparison.Ordinal);
        Assert.Contains("port", Fails(o => o.Hosts["a.test"] = new IPEndPoint(IPAddress.Loopback, 0)).Message, StringComparison.Ordinal);
        Assert.Equal(nameof(DevnetOptions.Hosts), Fails(o => o.Hosts["bad name!"] = Demo).ParamName);
        Assert.Contains("twice", Fails(o =>
        {
            o.Hosts["a.test"] = Demo;
            o.Hosts["a.test."] = Demo;
        }).Message, StringComparison.Ordinal);
        Assert.Contains("CNAME", Fails(o =>
        {
            o.Hosts["a.test"] = Demo;
            o.DnsRecords.Add(new CnameRecord("a.test", TimeSpan.FromSeconds(1), "b.test"));
        }).Message, StringComparison.Ordinal);

        var kernelRecordsOnly = new DevnetOptions { Egress = DevnetEgressMode.Kernel };
        kernelRecordsOnly.DnsRecords.Add(new ARecord("svc.test", TimeSpan.FromSeconds(1), IPAddress.Parse("192.0.2.10")));
        kernelRecordsOnly.Validate();
    }

    [Fact]
    public async Task Server_OverHostSockets_SurvivesGarbage_AndServesSeveralTcpQueriesPerConnection()
    {
        await using DevnetDnsServer server = DevnetDnsServer.StartOnLoopback(Zone(), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        IPEndPoint at = server.EndPoints[0];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        using var udp = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        udp.Connect(at);
        for (int i = 0; i < 200; i++)
        {
            await udp.SendAsync(RandomNumberGenerator.GetBytes(i % 40), cts.Token);
        }

        await udp.SendAsync(DnsMessage.Query(77, new DnsQuestion("demo.smolmix.test", DnsRecordType.A)).Encode(), cts.Token);
        var buffer = new byte[2048];
        DnsMessage answer;
        do
        {
            int n = await udp.ReceiveAsync(buffer, cts.Token);
            answer = DnsMessage.Parse(buffer.AsSpan(0, n));
        }
        while (answer.Id != 77);
        Assert.Single(answer.Answers);

        using var tcp = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await tcp.ConnectAsync(at, cts.Token);
        await using var stream = new System.Net.Sockets.NetworkStream(tcp);
        for (ushort id = 1; id <= 3; id++)
        {
            DnsMessage m = await TcpQueryAsync(stream, DnsMessage.Query(id, new DnsQuestion("nope.test", DnsRecordType.A)), cts.Token);
            Assert.Equal(id, m.Id);
            Assert.Equal(DnsResponseCode.NameError, m.ResponseCode);
        }

        // A zero-length message breaks the framing: the server closes the connection.
        await stream.WriteAsync(new byte[2], cts.Token);
        Assert.Equal(0, await stream.ReadAsync(buffer, cts.Token));

        DevnetDnsCounters counters = server.Snapshot();
        Assert.True(counters.Dropped >= 1);
        Assert.Equal(3, counters.NameErrors);
        Assert.True(counters.QueriesAnswered >= 4);
        Assert.Equal(1, counters.TcpConnections);
    }

    internal static async Task<DnsMessage> TcpQueryAsync(Stream stream, DnsMessage query, CancellationToken cancellationToken)
    {
        byte[] wire = query.Encode();
        var framed = new byte[wire.Length + 2];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)wire.Length);
        wire.CopyTo(framed, 2);
        await stream.WriteAsync(framed, cancellationToken);
        var prefix = new byte[2];
        await stream.ReadExactlyAsync(prefix, cancellationToken);
        var body = new byte[System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(prefix)];
        await stream.ReadExactlyAsync(body, cancellationToken);
        return DnsMessage.Parse(body);
    }
}
