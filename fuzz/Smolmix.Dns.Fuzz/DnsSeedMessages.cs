using System.Net;
using System.Text;
using Smolmix.Dns.Wire;

namespace Smolmix.Dns.Fuzz;

/// <summary>Valid DNS messages of every kind the codec reads, built with the codec: the fuzzer's seed corpus.</summary>
internal static class DnsSeedMessages
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(300);

    /// <summary>Each seed with a short file name.</summary>
    public static IEnumerable<(string Name, DnsMessage Message)> All()
    {
        foreach (DnsRecordType type in new[] { DnsRecordType.A, DnsRecordType.AAAA, DnsRecordType.HTTPS, DnsRecordType.SVCB, DnsRecordType.TXT, DnsRecordType.MX, DnsRecordType.SRV, DnsRecordType.PTR, DnsRecordType.NS, DnsRecordType.SOA, DnsRecordType.ANY })
        {
            yield return ($"query-{type}", DnsMessage.Query((ushort)(0x1000 + (int)type), new DnsQuestion("www.example.com", type)));
        }

        yield return ("query-no-edns", DnsMessage.Query(7, new DnsQuestion("example.org", DnsRecordType.A), ednsPayloadSize: null));
        yield return ("query-idn", DnsMessage.Query(8, new DnsQuestion(DnsName.FromHostName("bücher.example"), DnsRecordType.AAAA)));
        yield return ("query-0x20", DnsMessage.Query(9, new DnsQuestion("wWw.ExAmPlE.cOm", DnsRecordType.A)));
        yield return ("query-escaped", DnsMessage.Query(10, new DnsQuestion("a\\.b\\\\c\\000\\255.example", DnsRecordType.TXT)));
        yield return ("query-root-ns", DnsMessage.Query(11, new DnsQuestion(".", DnsRecordType.NS)));
        yield return ("query-long-name", DnsMessage.Query(12, new DnsQuestion(LongName(), DnsRecordType.A)));

        yield return ("a-answers", Response("example.com", DnsRecordType.A, new ARecord("example.com", Ttl, IPAddress.Parse("93.184.216.34")), new ARecord("example.com", Ttl, IPAddress.Parse("93.184.216.35"))));
        yield return ("aaaa-answer", Response("example.com", DnsRecordType.AAAA, new AaaaRecord("example.com", Ttl, IPAddress.Parse("2606:2800:220:1:248:1893:25c8:1946"))));
        yield return ("cname-chain", Response("www.example.com", DnsRecordType.A, new CnameRecord("www.example.com", Ttl, "edge.cdn.example.net"), new CnameRecord("edge.cdn.example.net", Ttl, "e1.cdn.example.net"), new ARecord("e1.cdn.example.net", TimeSpan.FromSeconds(20), IPAddress.Parse("192.0.2.7"))));
        yield return ("txt-strings", Response("example.com", DnsRecordType.TXT, new TxtRecord("example.com", Ttl, "v=spf1 -all", "second string", string.Empty), new TxtRecord("example.com", Ttl, [new byte[255]])));
        yield return ("mx", Response("example.com", DnsRecordType.MX, new MxRecord("example.com", Ttl, 10, "mx1.example.com"), new MxRecord("example.com", Ttl, 20, "mx2.example.com")));
        yield return ("srv", Response("_imaps._tcp.example.com", DnsRecordType.SRV, new SrvRecord("_imaps._tcp.example.com", Ttl, 0, 5, 993, "mail.example.com")));
        yield return ("ptr", Response("34.216.184.93.in-addr.arpa", DnsRecordType.PTR, new PtrRecord("34.216.184.93.in-addr.arpa", Ttl, "example.com")));
        yield return ("ns", Response("example.com", DnsRecordType.NS, new NsRecord("example.com", Ttl, "a.iana-servers.net"), new NsRecord("example.com", Ttl, "b.iana-servers.net")));
        yield return ("https-service", Response("example.com", DnsRecordType.HTTPS, Https(1, ".", (SvcbRecord.AlpnKey, [2, .. "h2"u8, 2, .. "h3"u8]), (SvcbRecord.PortKey, [0x01, 0xBB]), (SvcbRecord.IPv4HintKey, [192, 0, 2, 1, 192, 0, 2, 2]), (SvcbRecord.IPv6HintKey, IPAddress.Parse("2001:db8::1").GetAddressBytes()))));
        yield return ("https-alias", Response("example.com", DnsRecordType.HTTPS, Https(0, "pool.svc.example")));
        yield return ("svcb-mandatory-ech", Response("_8443._foo.api.example.com", DnsRecordType.SVCB, new SvcbRecord("_8443._foo.api.example.com", DnsRecordType.SVCB, Ttl, 16, "foo.example.org", new Dictionary<ushort, ReadOnlyMemory<byte>> { [SvcbRecord.MandatoryKey] = new byte[] { 0, 1, 0, 4 }, [SvcbRecord.AlpnKey] = new byte[] { 2, (byte)'h', (byte)'2' }, [SvcbRecord.NoDefaultAlpnKey] = Array.Empty<byte>(), [SvcbRecord.IPv4HintKey] = new byte[] { 192, 0, 2, 1 }, [SvcbRecord.EchKey] = Encoding.ASCII.GetBytes("echconfig"), [667] = Encoding.ASCII.GetBytes("hello") })));
        yield return ("unknown-type", Response("example.com", (DnsRecordType)99, new UnknownRecord("example.com", (DnsRecordType)99, Ttl, new byte[] { 1, 2, 3, 4, 5 })));

        DnsMessage nx = Response("nope.example.com", DnsRecordType.A);
        nx.ResponseCode = DnsResponseCode.NameError;
        nx.Authorities.Add(Soa());
        yield return ("nxdomain-soa", nx);

        DnsMessage badVersion = Response("example.com", DnsRecordType.A);
        badVersion.ResponseCode = DnsResponseCode.BadVersion;
        yield return ("edns-badvers", badVersion);

        DnsMessage dnssec = Response("example.com", DnsRecordType.A, new ARecord("example.com", Ttl, IPAddress.Parse("192.0.2.1")));
        dnssec.Edns = new DnsEdns(4096, Version: 0, DnssecOk: true);
        dnssec.AuthenticData = true;
        yield return ("edns-do", dnssec);

        DnsMessage referral = Response("www.example.com", DnsRecordType.A);
        referral.Authorities.Add(new NsRecord("example.com", Ttl, "ns1.example.com"));
        referral.Additionals.Add(new ARecord("ns1.example.com", Ttl, IPAddress.Parse("192.0.2.53")));
        referral.Additionals.Add(new AaaaRecord("ns1.example.com", Ttl, IPAddress.Parse("2001:db8::53")));
        yield return ("referral-glue", referral);

        DnsMessage refused = Response("example.com", DnsRecordType.A);
        refused.ResponseCode = DnsResponseCode.Refused;
        refused.Edns = null;
        yield return ("refused-no-edns", refused);

        DnsMessage big = Response("big.example.com", DnsRecordType.A);
        for (int i = 0; i < 40; i++)
        {
            big.Answers.Add(new ARecord("big.example.com", Ttl, new IPAddress(new byte[] { 198, 51, 100, (byte)i })));
        }

        yield return ("many-answers", big);
        yield return ("many-answers-truncated", Tc(big));
    }

    private static DnsMessage Response(string name, DnsRecordType type, params DnsRecord[] answers)
    {
        DnsMessage m = DnsMessage.Query(0xBEEF, new DnsQuestion(name, type));
        m.IsResponse = true;
        m.RecursionAvailable = true;
        m.Answers.AddRange(answers);
        return m;
    }

    private static SvcbRecord Https(ushort priority, string target, params (ushort Key, byte[] Value)[] parameters)
        => new("example.com", DnsRecordType.HTTPS, Ttl, priority, target, parameters.ToDictionary(p => p.Key, p => (ReadOnlyMemory<byte>)p.Value));

    private static SoaRecord Soa() => new("example.com", TimeSpan.FromSeconds(3600), "ns.icann.org", "noc.dns.icann.org", 2024010101, 7200, 3600, 1209600, 3600);

    private static DnsMessage Tc(DnsMessage m) => DnsMessage.Parse(m.EncodeTruncated(512));

    private static string LongName()
    {
        // Four labels of 63 bytes minus one byte: 253 characters, 255 bytes on the wire.
        string label = new('a', 63);
        return $"{label}.{label}.{label}.{new string('b', 61)}";
    }
}
