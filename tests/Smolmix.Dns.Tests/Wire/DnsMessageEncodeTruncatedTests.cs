using System.Net;
using Smolmix.Dns.Wire;

namespace Smolmix.Dns.Tests.Wire;

/// <summary>EncodeTruncated: a message that does not fit keeps its header, question and OPT, drops every record and sets TC.</summary>
public sealed class DnsMessageEncodeTruncatedTests
{
    [Fact]
    public void Message_that_does_not_fit_loses_its_records_and_gets_TC()
    {
        DnsMessage m = ManyAnswers(40);
        Assert.True(m.Encode().Length > 512);

        byte[] wire = m.EncodeTruncated(512);
        DnsMessage parsed = DnsMessage.Parse(wire);

        Assert.True(wire.Length <= 512);
        Assert.True(parsed.Truncated);
        Assert.Equal(m.Questions, parsed.Questions);
        Assert.Empty(parsed.Answers);
        Assert.Empty(parsed.Authorities);
        Assert.Empty(parsed.Additionals);
        Assert.Equal(m.Edns, parsed.Edns);
        Assert.Equal(0x0200, ((wire[2] << 8) | wire[3]) & 0x0200);
        Assert.False(m.Truncated); // the message itself is left as it was
    }

    [Fact]
    public void Message_that_fits_is_encoded_whole_without_TC()
    {
        DnsMessage m = ManyAnswers(3);

        byte[] wire = m.EncodeTruncated(512);

        Assert.Equal(m.Encode(), wire);
        Assert.False(DnsMessage.Parse(wire).Truncated);
    }

    [Fact]
    public void Limit_equal_to_the_length_keeps_the_message_whole()
    {
        DnsMessage m = ManyAnswers(10);
        int length = m.Encode().Length;

        Assert.Equal(10, DnsMessage.Parse(m.EncodeTruncated(length)).Answers.Count);
        Assert.Empty(DnsMessage.Parse(m.EncodeTruncated(length - 1)).Answers);
    }

    [Fact]
    public void Extended_RCODE_survives_truncation()
    {
        DnsMessage m = ManyAnswers(40);
        m.ResponseCode = DnsResponseCode.BadVersion;

        Assert.Equal(DnsResponseCode.BadVersion, DnsMessage.Parse(m.EncodeTruncated(100)).ResponseCode);
    }

    private static DnsMessage ManyAnswers(int count)
    {
        DnsMessage m = DnsMessage.Query(7, new DnsQuestion("big.example.com", DnsRecordType.A));
        m.IsResponse = true;
        for (int i = 0; i < count; i++)
        {
            m.Answers.Add(new ARecord("big.example.com", TimeSpan.FromSeconds(60), new IPAddress([198, 51, 100, (byte)i])));
        }

        return m;
    }
}
