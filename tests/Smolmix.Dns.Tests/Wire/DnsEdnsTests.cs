using Smolmix.Dns.Wire;

namespace Smolmix.Dns.Tests.Wire;

/// <summary>The EDNS(0) OPT pseudo-record (RFC 6891): payload size, version, DO bit and the extended RCODE.</summary>
public sealed class DnsEdnsTests
{
    private const string Question = "07 65 78 61 6d 70 6c 65 03 63 6f 6d 00 00 01 00 01";

    [Fact]
    public void OPT_fields_are_read_and_its_options_skipped()
    {
        byte[] wire = WireHex.Bytes($"""
            00 01 81 80 00 01 00 00 00 00 00 01
            {Question}
            00 00 29 10 00 00 00 80 00 00 0c 00 0a 00 08 01 02 03 04 05 06 07 08 ; 4096, v0, DO, a COOKIE option
            """);

        DnsMessage m = DnsMessage.Parse(wire);

        Assert.Equal(new DnsEdns(4096, ExtendedRcode: 0, Version: 0, DnssecOk: true), m.Edns);
        Assert.Empty(m.Additionals);
        Assert.Equal(DnsResponseCode.NoError, m.ResponseCode);
    }

    [Fact]
    public void Extended_RCODE_combines_the_OPT_upper_bits_with_the_header_bits()
    {
        byte[] wire = WireHex.Bytes($"""
            00 01 81 80 00 01 00 00 00 00 00 01 ; header RCODE 0
            {Question}
            00 00 29 04 d0 01 00 00 00 00 00    ; extended RCODE 1: 1 << 4 | 0 = 16 BADVERS
            """);

        DnsMessage m = DnsMessage.Parse(wire);

        Assert.Equal(DnsResponseCode.BadVersion, m.ResponseCode);
        Assert.Equal(WireHex.Of(wire), WireHex.Of(m.Encode()));
    }

    [Fact]
    public void Extended_RCODE_without_EDNS_adds_an_OPT_record_when_encoding()
    {
        DnsMessage m = DnsMessage.Query(1, new DnsQuestion("example.com", DnsRecordType.A), ednsPayloadSize: null);
        m.IsResponse = true;
        m.ResponseCode = DnsResponseCode.BadVersion;

        byte[] wire = m.Encode();

        Assert.Equal("000181000001000000000001" + "076578616d706c6503636f6d0000010001" + "00002904d0010000000000", WireHex.Of(wire));
        DnsMessage parsed = DnsMessage.Parse(wire);
        Assert.Equal(DnsResponseCode.BadVersion, parsed.ResponseCode);
        Assert.Equal((ushort)1232, parsed.Edns?.UdpPayloadSize);
    }

    [Fact]
    public void OPT_version_DO_bit_and_payload_size_are_written_as_given()
    {
        DnsMessage m = DnsMessage.Query(2, new DnsQuestion("example.com", DnsRecordType.A), ednsPayloadSize: null);
        m.Edns = new DnsEdns(512, Version: 1, DnssecOk: true);

        byte[] wire = m.Encode();

        Assert.EndsWith("0000290200" + "00018000" + "0000", WireHex.Of(wire), StringComparison.Ordinal);
        Assert.Equal(new DnsEdns(512, 0, 1, true), DnsMessage.Parse(wire).Edns);
    }

    [Fact]
    public void Query_without_a_payload_size_has_no_OPT_record()
    {
        byte[] wire = DnsMessage.Query(3, new DnsQuestion("example.com", DnsRecordType.A), ednsPayloadSize: null).Encode();

        Assert.Equal(0, wire[11]);
        Assert.Null(DnsMessage.Parse(wire).Edns);
    }

    [Theory]
    [InlineData("an OPT in the answer section", "00 01 00 00 00 00", "00 00 29 04 d0 00 00 00 00 00 00")]
    [InlineData("two OPT records", "00 00 00 00 00 02", "00 00 29 04 d0 00 00 00 00 00 00 00 00 29 04 d0 00 00 00 00 00 00")]
    [InlineData("an OPT not owned by the root", "00 00 00 00 00 01", "01 61 00 00 29 04 d0 00 00 00 00 00 00")]
    [InlineData("an OPT whose data runs past the end", "00 00 00 00 00 01", "00 00 29 04 d0 00 00 00 00 00 04 00 0a 00")]
    public void Misplaced_or_malformed_OPT_records_are_rejected(string why, string counts, string records)
    {
        byte[] wire = WireHex.Bytes($"00 01 81 80 00 01 {counts} {Question} {records}");
        var ex = Assert.Throws<DnsFormatException>(() => DnsMessage.Parse(wire));
        Assert.False(string.IsNullOrEmpty(ex.Message), why);
    }
}
