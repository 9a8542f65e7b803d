using System.Net;
using Smolmix.Dns.Wire;

namespace Smolmix.Dns.Tests.Wire;

/// <summary>SVCB and HTTPS records against the wire-format test vectors of RFC 9460 Appendix D.</summary>
public sealed class SvcbRecordWireTests
{
    private const string FooExampleCom = "03 66 6f 6f 07 65 78 61 6d 70 6c 65 03 63 6f 6d 00";
    private const string FooExampleOrg = "03 66 6f 6f 07 65 78 61 6d 70 6c 65 03 6f 72 67 00";

    // RFC 9460 Figure 8: example.com. SVCB 16 foo.example.org. (alpn=h2,h3-19 mandatory=ipv4hint,alpn ipv4hint=192.0.2.1)
    private const string Figure8 = $"""
        00 10                ; priority
        {FooExampleOrg}      ; target
        00 00 00 04 00 01 00 04 ; mandatory: alpn, ipv4hint
        00 01 00 09 02 68 32 05 68 33 2d 31 39 ; alpn: h2, h3-19
        00 04 00 04 c0 00 02 01 ; ipv4hint: 192.0.2.1
        """;

    [Fact]
    public void AliasMode_vector_D1_reads_priority_0_and_the_target()
    {
        SvcbRecord r = ParseOne(DnsRecordType.HTTPS, $"00 00 {FooExampleCom}");

        Assert.True(r.IsAlias);
        Assert.Equal("foo.example.com", r.TargetName);
        Assert.Empty(r.Parameters);
    }

    [Fact]
    public void ServiceMode_vector_Figure2_has_the_root_as_target()
    {
        SvcbRecord r = ParseOne(DnsRecordType.SVCB, "00 01 00");

        Assert.Equal((1, "."), ((int)r.Priority, r.TargetName));
        Assert.Empty(r.Parameters);
    }

    [Fact]
    public void ServiceMode_vector_Figure3_reads_port_53()
    {
        SvcbRecord r = ParseOne(DnsRecordType.SVCB, $"00 10 {FooExampleCom} 00 03 00 02 00 35");

        Assert.Equal(16, r.Priority);
        Assert.Equal(53, r.Port);
    }

    [Fact]
    public void ServiceMode_vector_Figure4_keeps_an_unknown_key_667()
    {
        SvcbRecord r = ParseOne(DnsRecordType.SVCB, $"00 01 {FooExampleCom} 02 9b 00 05 68 65 6c 6c 6f");

        Assert.Equal("hello"u8.ToArray(), r.Parameters[667].ToArray());
    }

    [Fact]
    public void ServiceMode_vector_Figure6_reads_two_ipv6_hints()
    {
        SvcbRecord r = ParseOne(DnsRecordType.SVCB, $"""
            00 01 {FooExampleCom} 00 06 00 20
            20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01
            20 01 0d b8 00 00 00 00 00 00 00 00 00 53 00 01
            """);

        Assert.Equal([IPAddress.Parse("2001:db8::1"), IPAddress.Parse("2001:db8::53:1")], r.IPv6Hints);
    }

    [Fact]
    public void HTTPS_answer_with_the_Figure8_data_reads_alpn_mandatory_and_ipv4hint_and_encodes_to_the_same_bytes()
    {
        byte[] wire = Message(DnsRecordType.HTTPS, Figure8);

        DnsMessage m = DnsMessage.Parse(wire);

        var https = Assert.IsType<SvcbRecord>(Assert.Single(m.Answers));
        Assert.Equal(DnsRecordType.HTTPS, https.Type);
        Assert.Equal((16, "foo.example.org"), ((int)https.Priority, https.TargetName));
        Assert.Equal(["h2", "h3-19"], https.Alpn);
        Assert.Equal([IPAddress.Parse("192.0.2.1")], https.IPv4Hints);
        Assert.Equal([0, 1, 0, 4], https.Parameters[SvcbRecord.MandatoryKey].ToArray());
        Assert.Null(https.Port);
        Assert.Equal(WireHex.Of(wire), WireHex.Of(m.Encode()));
    }

    [Fact]
    public void HTTPS_record_built_in_code_with_alpn_port_and_ipv4hint_encodes_keys_in_ascending_order()
    {
        var parameters = new Dictionary<ushort, ReadOnlyMemory<byte>>
        {
            [SvcbRecord.IPv4HintKey] = new byte[] { 192, 0, 2, 1 },
            [SvcbRecord.PortKey] = new byte[] { 0x01, 0xbb },
            [SvcbRecord.AlpnKey] = new byte[] { 2, (byte)'h', (byte)'2' },
        };
        DnsMessage m = DnsMessage.Query(0x0009, new DnsQuestion("example.com", DnsRecordType.HTTPS), ednsPayloadSize: null);
        m.IsResponse = true;
        m.RecursionAvailable = true;
        m.Answers.Add(new SvcbRecord("example.com", DnsRecordType.HTTPS, TimeSpan.FromSeconds(3600), 1, ".", parameters));

        byte[] expected = Message(DnsRecordType.HTTPS, "00 01 00 00 01 00 03 02 68 32 00 03 00 02 01 bb 00 04 00 04 c0 00 02 01");

        Assert.Equal(WireHex.Of(expected), WireHex.Of(m.Encode()));
        Assert.Equal(443, Assert.IsType<SvcbRecord>(Assert.Single(DnsMessage.Parse(expected).Answers)).Port);
    }

    [Theory]
    [InlineData("00 01 00 00 03 00 02 00 35 00 03 00 02 00 36", "a key repeated (RFC 9460 D.3)")]
    [InlineData("00 01 00 00 03 00 02 00 35 00 01 00 03 02 68 32", "keys out of order")]
    [InlineData("00 01 00 00 06 00 00", "ipv6hint without a value (RFC 9460 D.3)")]
    [InlineData("00 01 00 00 02 00 03 61 62 63", "no-default-alpn with a value (RFC 9460 D.3)")]
    [InlineData("00 01 00 00 01 00 03 00 68 32", "an empty alpn-id")]
    [InlineData("00 01 00 00 01 00 03 05 68 32", "an alpn-id past its value")]
    [InlineData("00 01 00 00 03 00 03 00 35 00", "a port of three bytes")]
    [InlineData("00 01 00 00 04 00 05 c0 00 02 01 00", "an ipv4hint that is not a multiple of 4")]
    [InlineData("00 01 00 00 00 00 03 00 01 00", "mandatory of an odd length")]
    [InlineData("00 01 00 00 00 00 04 00 04 00 01 00 01 00 03 02 68 32 00 04 00 04 c0 00 02 01", "mandatory keys out of order (RFC 9460 §8)")]
    [InlineData("00 01 00 00 00 00 04 00 01 00 01 00 01 00 03 02 68 32", "a mandatory key listed twice")]
    [InlineData("00 01 00 00 00 00 02 00 00", "mandatory listing itself (RFC 9460 D.3)")]
    [InlineData("00 01 00 00 03 00 04 00 35", "a value past the record data")]
    [InlineData("00 01 00 00 03", "a key without a length")]
    [InlineData("00 01 c0 0c", "a compressed target (RFC 9460 §2.2)")]
    public void Malformed_SvcParams_are_rejected(string rdata, string why)
    {
        var ex = Assert.Throws<DnsFormatException>(() => DnsMessage.Parse(Message(DnsRecordType.SVCB, rdata)));
        Assert.False(string.IsNullOrEmpty(ex.Message), why);
    }

    private static SvcbRecord ParseOne(DnsRecordType type, string rdata)
        => Assert.IsType<SvcbRecord>(Assert.Single(DnsMessage.Parse(Message(type, rdata)).Answers));

    /// <summary>A response to "example.com {type}" with one answer (owner compressed to the question) holding <paramref name="rdata"/>.</summary>
    private static byte[] Message(DnsRecordType type, string rdata)
    {
        byte[] data = WireHex.Bytes(rdata);
        string t = $"{(int)type:x4}";
        byte[] head = WireHex.Bytes($"""
            00 09 81 80 00 01 00 01 00 00 00 00
            07 65 78 61 6d 70 6c 65 03 63 6f 6d 00 {t} 00 01
            c0 0c {t} 00 01 00 00 0e 10 {data.Length:x4}
            """);
        return [.. head, .. data];
    }
}
