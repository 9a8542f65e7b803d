using System.Net;
using Smolmix.Dns.Wire;

namespace Smolmix.Dns.Tests.Wire;

/// <summary>Hand-assembled messages as a server sends them: Parse reads every field, Encode gives back the same bytes.</summary>
public sealed class DnsMessageGoldenTests
{
    private const string ExampleCom = "07 65 78 61 6d 70 6c 65 03 63 6f 6d 00"; // example.com

    [Fact]
    public void Query_for_an_A_record_with_EDNS_encodes_to_the_wire_bytes_of_RFC_1035_and_RFC_6891()
    {
        byte[] expected = WireHex.Bytes($"""
            12 34 01 00 00 01 00 00 00 00 00 01 ; id, RD, 1 question, 1 additional
            {ExampleCom} 00 01 00 01            ; example.com A IN
            00 00 29 04 d0 00 00 00 00 00 00    ; OPT: root, payload 1232, no options
            """);

        byte[] encoded = DnsMessage.Query(0x1234, new DnsQuestion("example.com", DnsRecordType.A)).Encode();

        Assert.Equal(WireHex.Of(expected), WireHex.Of(encoded));
        DnsMessage parsed = DnsMessage.Parse(expected);
        Assert.False(parsed.IsResponse);
        Assert.True(parsed.RecursionDesired);
        Assert.Equal(new DnsQuestion("example.com", DnsRecordType.A), Assert.Single(parsed.Questions));
        Assert.Equal(new DnsEdns(1232), parsed.Edns);
        Assert.Empty(parsed.Additionals);
    }

    [Fact]
    public void A_answers_with_owner_names_compressed_to_the_question_parse_and_encode_to_the_same_bytes()
    {
        byte[] wire = WireHex.Bytes($"""
            12 34 81 80 00 01 00 02 00 00 00 00
            {ExampleCom} 00 01 00 01
            c0 0c 00 01 00 01 00 00 0e 10 00 04 5d b8 d7 0e ; pointer to offset 12, TTL 3600, 93.184.215.14
            c0 0c 00 01 00 01 00 00 0e 10 00 04 5d b8 d7 0f
            """);

        DnsMessage m = DnsMessage.Parse(wire);

        Assert.Equal(0x1234, m.Id);
        Assert.True(m.IsResponse && m.RecursionDesired && m.RecursionAvailable);
        Assert.Equal(DnsResponseCode.NoError, m.ResponseCode);
        Assert.Null(m.Edns);
        Assert.Collection(
            m.Answers,
            r => AssertA(r, "example.com", 3600, "93.184.215.14"),
            r => AssertA(r, "example.com", 3600, "93.184.215.15"));
        Assert.Equal(WireHex.Of(wire), WireHex.Of(m.Encode()));
    }

    [Fact]
    public void AAAA_answer_parses_the_16_byte_address()
    {
        byte[] wire = WireHex.Bytes($"""
            00 02 81 80 00 01 00 01 00 00 00 00
            {ExampleCom} 00 1c 00 01
            c0 0c 00 1c 00 01 00 00 01 2c 00 10 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01
            """);

        DnsMessage m = DnsMessage.Parse(wire);

        var aaaa = Assert.IsType<AaaaRecord>(Assert.Single(m.Answers));
        Assert.Equal(IPAddress.Parse("2001:db8::1"), aaaa.Address);
        Assert.Equal(TimeSpan.FromSeconds(300), aaaa.TimeToLive);
        Assert.Equal(WireHex.Of(wire), WireHex.Of(m.Encode()));
    }

    [Fact]
    public void CNAME_chain_follows_pointers_into_earlier_record_data()
    {
        byte[] wire = WireHex.Bytes("""
            00 03 81 80 00 01 00 03 00 00 00 00
            03 77 77 77 07 65 78 61 6d 70 6c 65 03 63 6f 6d 00 00 01 00 01 ; www.example.com A (example.com at 16)
            c0 0c 00 05 00 01 00 00 01 2c 00 07 04 65 64 67 65 c0 10       ; CNAME edge.example.com (at 45)
            c0 2d 00 05 00 01 00 00 01 2c 00 0c 02 65 31 03 63 64 6e 03 6e 65 74 00 ; edge.example.com CNAME e1.cdn.net (at 64)
            c0 40 00 01 00 01 00 00 00 3c 00 04 c0 00 02 01                ; e1.cdn.net A 192.0.2.1
            """);

        DnsMessage m = DnsMessage.Parse(wire);

        Assert.Collection(
            m.Answers,
            r => Assert.Equal(("www.example.com", "edge.example.com"), (r.Name, Assert.IsType<CnameRecord>(r).CanonicalName)),
            r => Assert.Equal(("edge.example.com", "e1.cdn.net"), (r.Name, Assert.IsType<CnameRecord>(r).CanonicalName)),
            r => AssertA(r, "e1.cdn.net", 60, "192.0.2.1"));
        Assert.Equal(WireHex.Of(wire), WireHex.Of(m.Encode()));
    }

    [Fact]
    public void TXT_record_keeps_each_character_string_including_an_empty_one()
    {
        byte[] wire = WireHex.Bytes($"""
            00 04 81 80 00 01 00 01 00 00 00 00
            {ExampleCom} 00 10 00 01
            c0 0c 00 10 00 01 00 00 01 2c 00 19
            0b 76 3d 73 70 66 31 20 2d 61 6c 6c ; "v=spf1 -all"
            0b 68 65 6c 6c 6f 20 77 6f 72 6c 64 ; "hello world"
            00                                  ; ""
            """);

        DnsMessage m = DnsMessage.Parse(wire);

        var txt = Assert.IsType<TxtRecord>(Assert.Single(m.Answers));
        Assert.Equal(["v=spf1 -all", "hello world", string.Empty], txt.Text);
        Assert.Equal(WireHex.Of(wire), WireHex.Of(m.Encode()));
    }

    [Fact]
    public void TXT_record_without_any_string_is_rejected_on_the_wire_and_cannot_be_built()
    {
        byte[] wire = WireHex.Bytes($"00 04 81 80 00 01 00 01 00 00 00 00 {ExampleCom} 00 10 00 01 c0 0c 00 10 00 01 00 00 01 2c 00 00");

        Assert.Throws<DnsFormatException>(() => DnsMessage.Parse(wire));
        Assert.Throws<ArgumentException>(() => new TxtRecord("example.com", TimeSpan.Zero, Array.Empty<ReadOnlyMemory<byte>>()));
        Assert.Throws<ArgumentException>(() => new TxtRecord("example.com", TimeSpan.Zero));
        Assert.Throws<ArgumentException>(() => new TxtRecord("example.com", TimeSpan.Zero, new string('x', 256)));
    }

    [Fact]
    public void MX_records_read_preference_and_a_compressed_exchange()
    {
        byte[] wire = WireHex.Bytes($"""
            00 05 81 80 00 01 00 02 00 00 00 00
            {ExampleCom} 00 0f 00 01
            c0 0c 00 0f 00 01 00 00 0e 10 00 09 00 0a 04 6d 61 69 6c c0 0c ; 10 mail.example.com
            c0 0c 00 0f 00 01 00 00 0e 10 00 08 00 14 03 6d 78 32 c0 0c    ; 20 mx2.example.com
            """);

        DnsMessage m = DnsMessage.Parse(wire);

        Assert.Collection(
            m.Answers,
            r => Assert.Equal((10, "mail.example.com"), ((int)Assert.IsType<MxRecord>(r).Preference, ((MxRecord)r).Exchange)),
            r => Assert.Equal((20, "mx2.example.com"), ((int)Assert.IsType<MxRecord>(r).Preference, ((MxRecord)r).Exchange)));
        Assert.Equal(WireHex.Of(wire), WireHex.Of(m.Encode()));
    }

    [Fact]
    public void SRV_record_reads_priority_weight_port_and_an_uncompressed_target()
    {
        byte[] wire = WireHex.Bytes($"""
            00 06 81 80 00 01 00 01 00 00 00 00
            04 5f 73 69 70 04 5f 74 63 70 {ExampleCom} 00 21 00 01 ; _sip._tcp.example.com SRV
            c0 0c 00 21 00 01 00 00 0e 10 00 1d
            00 0a 00 3c 13 c4                                      ; priority 10, weight 60, port 5060
            09 73 69 70 73 65 72 76 65 72 {ExampleCom}             ; sipserver.example.com, not compressed (RFC 2782)
            """);

        DnsMessage m = DnsMessage.Parse(wire);

        var srv = Assert.IsType<SrvRecord>(Assert.Single(m.Answers));
        Assert.Equal(("_sip._tcp.example.com", 10, 60, 5060, "sipserver.example.com"), (srv.Name, (int)srv.Priority, (int)srv.Weight, (int)srv.Port, srv.Target));
        Assert.Equal(WireHex.Of(wire), WireHex.Of(m.Encode()));
    }

    [Fact]
    public void NXDOMAIN_with_the_zone_SOA_in_the_authority_section()
    {
        byte[] wire = WireHex.Bytes($"""
            ab cd 81 83 00 01 00 00 00 01 00 00                   ; rcode 3, 1 authority
            04 6e 6f 70 65 {ExampleCom} 00 01 00 01               ; nope.example.com A (example.com at 17)
            c0 11 00 06 00 01 00 00 0e 10 00 2c                   ; example.com SOA, 44 bytes
            02 6e 73 05 69 63 61 6e 6e 03 6f 72 67 00             ; ns.icann.org (icann.org at 49)
            03 6e 6f 63 03 64 6e 73 c0 31                         ; noc.dns.icann.org
            78 a3 f1 75 00 00 1c 20 00 00 0e 10 00 12 75 00 00 00 0e 10 ; serial 2024010101, 7200, 3600, 1209600, 3600
            """);

        DnsMessage m = DnsMessage.Parse(wire);

        Assert.Equal(DnsResponseCode.NameError, m.ResponseCode);
        Assert.Empty(m.Answers);
        var soa = Assert.IsType<SoaRecord>(Assert.Single(m.Authorities));
        Assert.Equal(
            ("example.com", "ns.icann.org", "noc.dns.icann.org", 2024010101u, 7200u, 3600u, 1209600u, 3600u),
            (soa.Name, soa.PrimaryServer, soa.ResponsibleMailbox, soa.Serial, soa.Refresh, soa.Retry, soa.Expire, soa.Minimum));
        Assert.Equal(WireHex.Of(wire), WireHex.Of(m.Encode()));
    }

    [Fact]
    public void Records_of_another_class_are_skipped_and_unknown_types_keep_their_data()
    {
        byte[] wire = WireHex.Bytes($"""
            00 07 81 80 00 01 00 02 00 00 00 00
            {ExampleCom} 00 10 00 03                   ; example.com TXT CH
            c0 0c 00 10 00 03 00 00 00 00 00 02 01 78  ; class CH: skipped
            c0 0c 00 63 00 01 00 00 00 0a 00 03 01 02 03 ; type 99: kept as data
            """);

        DnsMessage m = DnsMessage.Parse(wire);

        Assert.Equal(3, Assert.Single(m.Questions).Class);
        var unknown = Assert.IsType<UnknownRecord>(Assert.Single(m.Answers));
        Assert.Equal((DnsRecordType)99, unknown.Type);
        Assert.Equal([1, 2, 3], unknown.Data.ToArray());
    }

    [Fact]
    public void Record_data_longer_or_shorter_than_its_length_is_rejected()
    {
        string head = $"00 08 81 80 00 01 00 01 00 00 00 00 {ExampleCom} 00 01 00 01 c0 0c 00 01 00 01 00 00 00 0a";
        Assert.Throws<DnsFormatException>(() => DnsMessage.Parse(WireHex.Bytes(head + " 00 05 c0 00 02 01 00"))); // A of 5 bytes
        Assert.Throws<DnsFormatException>(() => DnsMessage.Parse(WireHex.Bytes(head + " 00 04 c0 00 02"))); // runs past the end
        string cname = $"00 08 81 80 00 01 00 01 00 00 00 00 {ExampleCom} 00 05 00 01 c0 0c 00 05 00 01 00 00 00 0a";
        Assert.Throws<DnsFormatException>(() => DnsMessage.Parse(WireHex.Bytes(cname + " 00 01 c0 0c"))); // the name runs past its length
    }

    [Fact]
    public void Header_shorter_than_12_bytes_and_counts_larger_than_the_message_are_rejected()
    {
        Assert.Throws<DnsFormatException>(() => DnsMessage.Parse(WireHex.Bytes("00 01 81 80 00 00 00 00 00 00 00")));
        Assert.Throws<DnsFormatException>(() => DnsMessage.Parse(WireHex.Bytes("00 01 81 80 ff ff ff ff ff ff ff ff")));
        Assert.Throws<DnsFormatException>(() => DnsMessage.Parse(new byte[65536]));
    }

    private static void AssertA(DnsRecord r, string name, int ttl, string address)
    {
        var a = Assert.IsType<ARecord>(r);
        Assert.Equal((name, TimeSpan.FromSeconds(ttl), IPAddress.Parse(address)), (a.Name, a.TimeToLive, a.Address));
    }
}
