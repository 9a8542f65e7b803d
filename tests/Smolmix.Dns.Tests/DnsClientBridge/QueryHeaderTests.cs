using Smolmix.Dns.DnsClient;
using Smolmix.Dns.Wire;

namespace Smolmix.Dns.Tests.DnsClientBridge;

/// <summary>The relay's own reading of a query's header, and the answers it builds from it.</summary>
public sealed class QueryHeaderTests
{
    private static byte[] Query(ushort? ednsSize)
    {
        var m = new DnsMessage { Id = 0xBEEF, RecursionDesired = true };
        m.Questions.Add(new DnsQuestion("www.example.com", DnsRecordType.A));
        byte[] wire = m.Encode();
        if (ednsSize is ushort size)
        {
            // An OPT record in the additional section: root name, type 41, class = UDP payload size, TTL 0, no data.
            wire = [.. wire, 0, 0, 41, (byte)(size >> 8), (byte)size, 0, 0, 0, 0, 0, 0];
            wire[11] = 1;
        }

        return wire;
    }

    [Fact]
    public void The_EDNS_payload_size_is_read_and_512_without_EDNS()
    {
        Assert.True(QueryHeader.TryRead(Query(4096), out QueryHeader withEdns));
        Assert.True(QueryHeader.TryRead(Query(null), out QueryHeader without));
        Assert.True(QueryHeader.TryRead(Query(100), out QueryHeader tiny));

        Assert.Equal(4096, withEdns.UdpPayloadSize);
        Assert.Equal(512, without.UdpPayloadSize);
        Assert.Equal(512, tiny.UdpPayloadSize);
        Assert.Equal(0xBEEF, without.Id);
    }

    [Fact]
    public void A_truncated_answer_has_the_question_and_no_records()
    {
        byte[] query = Query(4096);
        Assert.True(QueryHeader.TryRead(query, out QueryHeader header));

        DnsMessage tc = DnsMessage.Parse(header.EmptyResponse(query, (int)DnsResponseCode.NoError, truncated: true));
        DnsMessage servfail = DnsMessage.Parse(header.EmptyResponse(query, (int)DnsResponseCode.ServerFailure, truncated: false));

        Assert.Equal(0xBEEF, tc.Id);
        Assert.True(tc.IsResponse);
        Assert.True(tc.Truncated);
        Assert.True(tc.RecursionDesired);
        Assert.Equal("www.example.com", Assert.Single(tc.Questions).Name);
        Assert.Empty(tc.Answers);
        Assert.Null(tc.Edns);
        Assert.False(servfail.Truncated);
        Assert.Equal(DnsResponseCode.ServerFailure, servfail.ResponseCode);
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 0, 1, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1 })] // a response
    [InlineData(new byte[] { 0, 1, 0x08, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1 })] // opcode 1
    [InlineData(new byte[] { 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 })] // no question
    [InlineData(new byte[] { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1 })] // a pointer in the question
    [InlineData(new byte[] { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0x61, 0x62 })] // the name runs off the end
    [InlineData(new byte[] { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 41, 16, 0, 0, 0, 0, 0, 0, 9 })] // OPT data runs off the end
    public void Anything_but_a_well_formed_single_question_query_is_refused(byte[] message)
    {
        Assert.False(QueryHeader.TryRead(message, out _));
    }
}
