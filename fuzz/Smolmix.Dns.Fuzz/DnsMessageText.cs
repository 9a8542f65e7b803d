using System.Globalization;
using System.Text;
using Smolmix.Dns.Wire;

namespace Smolmix.Dns.Fuzz;

/// <summary>
/// Every field of a parsed <see cref="DnsMessage"/> as one line of text, bytes in hex: two messages
/// with the same text hold the same data. Used to check that encode → parse gives back what was encoded.
/// </summary>
internal static class DnsMessageText
{
    public static string Of(DnsMessage m)
    {
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"id={m.Id} qr={m.IsResponse} op={m.Opcode} aa={m.Authoritative} tc={m.Truncated} rd={m.RecursionDesired} ra={m.RecursionAvailable} ad={m.AuthenticData} cd={m.CheckingDisabled} rcode={(int)m.ResponseCode}");
        if (m.Edns is DnsEdns e)
        {
            s.Append(CultureInfo.InvariantCulture, $" edns={e.UdpPayloadSize}/{e.Version}/{e.DnssecOk}");
        }

        foreach (DnsQuestion q in m.Questions)
        {
            s.Append(CultureInfo.InvariantCulture, $" | q {q.Name} {(int)q.Type} {q.Class}");
        }

        Append(s, "an", m.Answers);
        Append(s, "ns", m.Authorities);
        Append(s, "ar", m.Additionals);
        return s.ToString();
    }

    private static void Append(StringBuilder s, string section, List<DnsRecord> records)
    {
        foreach (DnsRecord r in records)
        {
            s.Append(CultureInfo.InvariantCulture, $" | {section} {r.Name} {(int)r.Type} {r.TtlSeconds} ").Append(Data(r));
        }
    }

    private static string Data(DnsRecord r) => r switch
    {
        ARecord a => a.Address.ToString(),
        AaaaRecord a => a.Address.ToString(),
        CnameRecord c => c.CanonicalName,
        PtrRecord p => p.DomainName,
        NsRecord n => n.NameServer,
        MxRecord mx => $"{mx.Preference} {mx.Exchange}",
        SrvRecord srv => $"{srv.Priority} {srv.Weight} {srv.Port} {srv.Target}",
        SoaRecord soa => $"{soa.PrimaryServer} {soa.ResponsibleMailbox} {soa.Serial} {soa.Refresh} {soa.Retry} {soa.Expire} {soa.Minimum}",
        TxtRecord txt => string.Join(',', txt.RawStrings.Select(t => Convert.ToHexString(t.Span))),
        SvcbRecord svcb => $"{svcb.Priority} {svcb.TargetName} " + string.Join(',', svcb.Parameters.Select(p => $"{p.Key}={Convert.ToHexString(p.Value.Span)}")),
        UnknownRecord u => Convert.ToHexString(u.Data.Span),
        _ => throw new InvalidOperationException($"No text for {r.GetType().Name}."),
    };
}
