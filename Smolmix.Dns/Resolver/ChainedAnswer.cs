using Smolmix.Dns.Wire;

namespace Smolmix.Dns.Resolver;

/// <summary>
/// What one response says about one question: the CNAME chain from the asked name, the records of the
/// asked type at its end, the response code, and how long the whole may be cached (the smallest TTL
/// in the chain; for a negative answer min(SOA TTL, SOA MINIMUM), RFC 2308 §5).
/// </summary>
internal sealed record ChainedAnswer(
    DnsResponseCode ResponseCode,
    string CanonicalName,
    DnsRecord[] Records,
    CnameRecord[] Aliases,
    TimeSpan TimeToLive,
    bool ChainIncomplete)
{
    /// <summary>CNAMEs followed in one answer at most (a longer chain is treated as a loop).</summary>
    public const int MaxChainLength = 16;

    /// <summary>Reads the answer to <paramref name="question"/> out of <paramref name="response"/>.</summary>
    /// <exception cref="DnsFormatException">The chain loops or is longer than <see cref="MaxChainLength"/>.</exception>
    public static ChainedAnswer From(DnsMessage response, DnsQuestion question, TimeSpan maxPositiveTtl, TimeSpan maxNegativeTtl)
    {
        string name = question.Name;
        var aliases = new List<CnameRecord>();
        DnsRecord[] records = [];
        for (int hop = 0; ; hop++)
        {
            records = response.Answers.Where(r => r.Type == question.Type && DnsName.Equal(r.Name, name)).ToArray();
            if (records.Length > 0 || question.Type == DnsRecordType.CNAME)
            {
                break;
            }

            CnameRecord? cname = response.Answers.OfType<CnameRecord>().FirstOrDefault(r => DnsName.Equal(r.Name, name));
            if (cname is null)
            {
                break;
            }

            if (hop >= MaxChainLength || aliases.Exists(a => DnsName.Equal(a.CanonicalName, cname.CanonicalName)))
            {
                throw new DnsFormatException($"The CNAME chain from {question.Name} loops or is longer than {MaxChainLength}.");
            }

            aliases.Add(cname);
            name = cname.CanonicalName;
        }

        DnsResponseCode rcode = response.ResponseCode;
        SoaRecord? soa = response.Authorities.OfType<SoaRecord>().FirstOrDefault();
        bool incomplete = rcode == DnsResponseCode.NoError && records.Length == 0 && aliases.Count > 0 && soa is null;
        bool negative = rcode == DnsResponseCode.NameError || (records.Length == 0 && !incomplete);
        TimeSpan ttl;
        if (negative)
        {
            // Without an SOA a negative answer is not cached (RFC 2308 §5).
            ttl = soa is null ? TimeSpan.Zero : Min(Min(soa.TimeToLive, TimeSpan.FromSeconds(soa.Minimum)), maxNegativeTtl);
        }
        else
        {
            ttl = maxPositiveTtl;
        }

        foreach (DnsRecord r in aliases.Concat(records))
        {
            ttl = Min(ttl, r.TimeToLive);
        }

        return new ChainedAnswer(rcode, name, records, aliases.ToArray(), ttl, incomplete);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
