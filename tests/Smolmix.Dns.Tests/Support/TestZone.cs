using System.Globalization;
using System.Net;
using System.Text;

namespace Smolmix.Dns.Tests.Support;

/// <summary>
/// The test zone <see cref="Name"/> that <see cref="UnboundServer"/> serves, and what each of its names answers.
/// Names are written without the trailing dot. Queries need RD=1 (unbound serves the zone through its resolver
/// module; a query without recursion desired gets REFUSED unless the answer is already cached).
/// </summary>
public static class TestZone
{
    /// <summary>The zone apex. Its SOA (TTL 60): <c>ns.smolmix.test. hostmaster.smolmix.test. 1 3600 600 86400 60</c>.</summary>
    public const string Name = "smolmix.test";

    /// <summary>TTL of every record except the SOA (<see cref="NegativeTtl"/>) and <see cref="ShortTtlName"/>.</summary>
    public const int NormalTtl = 300;

    /// <summary>TTL of <see cref="ShortTtlName"/>, for cache-expiry tests.</summary>
    public const int ShortTtl = 2;

    /// <summary>
    /// TTL of negative answers (NXDOMAIN, NODATA): the SOA's own TTL and its MINIMUM field are both this, so the SOA in the
    /// authority section of a negative answer carries it whether or not unbound has the SOA cached from a direct query.
    /// </summary>
    public const int NegativeTtl = 60;

    /// <summary>SOA serial of the zone.</summary>
    public const uint SoaSerial = 1;

    /// <summary>A <see cref="HostV4"/> and AAAA <see cref="HostV6"/>.</summary>
    public const string HostName = "www.smolmix.test";

    /// <summary>The A record of <see cref="HostName"/>.</summary>
    public static readonly IPAddress HostV4 = IPAddress.Parse("192.0.2.10");

    /// <summary>The AAAA record of <see cref="HostName"/>.</summary>
    public static readonly IPAddress HostV6 = IPAddress.Parse("2001:db8::10");

    /// <summary>
    /// Start of a three-hop CNAME chain: cname1 → cname2 → cname3 → <see cref="CnameTargetName"/> (all in-zone).
    /// unbound answers A or AAAA here with the three CNAMEs and then the address record.
    /// </summary>
    public const string CnameChainStart = "cname1.smolmix.test";

    /// <summary>Every owner name in the chain, in order: the three aliases, then <see cref="CnameTargetName"/>.</summary>
    public static readonly IReadOnlyList<string> CnameChain =
        ["cname1.smolmix.test", "cname2.smolmix.test", "cname3.smolmix.test", "target.smolmix.test"];

    /// <summary>End of the CNAME chain: A <see cref="CnameTargetV4"/> and AAAA <see cref="CnameTargetV6"/>.</summary>
    public const string CnameTargetName = "target.smolmix.test";

    /// <summary>The A record of <see cref="CnameTargetName"/>.</summary>
    public static readonly IPAddress CnameTargetV4 = IPAddress.Parse("192.0.2.11");

    /// <summary>The AAAA record of <see cref="CnameTargetName"/>.</summary>
    public static readonly IPAddress CnameTargetV6 = IPAddress.Parse("2001:db8::11");

    /// <summary>Does not exist: NXDOMAIN (rcode 3) with the zone SOA (TTL <see cref="NegativeTtl"/>) in the authority section.</summary>
    public const string NxDomainName = "nxdomain.smolmix.test";

    /// <summary>Has only A <see cref="V4OnlyV4"/>: an AAAA query is NODATA (NOERROR, no answers, SOA in authority).</summary>
    public const string V4OnlyName = "v4only.smolmix.test";

    /// <summary>The A record of <see cref="V4OnlyName"/>.</summary>
    public static readonly IPAddress V4OnlyV4 = IPAddress.Parse("192.0.2.20");

    /// <summary>
    /// Every query for this name (or any name below it) is SERVFAIL (rcode 2), at once and every time: it is delegated
    /// to a stub server whose only address unbound is told never to query, so there is no server to ask.
    /// </summary>
    public const string ServFailName = "servfail.smolmix.test";

    /// <summary>A <see cref="ShortTtlV4"/> with TTL <see cref="ShortTtl"/> seconds.</summary>
    public const string ShortTtlName = "short.smolmix.test";

    /// <summary>The A record of <see cref="ShortTtlName"/>.</summary>
    public static readonly IPAddress ShortTtlV4 = IPAddress.Parse("192.0.2.30");

    /// <summary>
    /// <see cref="BigTxtCount"/> TXT records of one <see cref="BigTxtLength"/>-character string each (<see cref="BigTxtStrings"/>):
    /// over UDP at EDNS 1232 the reply has TC set and no answers; over TCP the whole RRset comes.
    /// </summary>
    public const string BigTxtName = "big.smolmix.test";

    /// <summary>How many TXT records <see cref="BigTxtName"/> has.</summary>
    public const int BigTxtCount = 20;

    /// <summary>Length of each TXT string at <see cref="BigTxtName"/>.</summary>
    public const int BigTxtLength = 200;

    /// <summary>The TXT strings at <see cref="BigTxtName"/>: two digits of index, then one repeated letter.</summary>
    public static readonly IReadOnlyList<string> BigTxtStrings = Enumerable.Range(0, BigTxtCount)
        .Select(i => i.ToString("D2", CultureInfo.InvariantCulture) + new string((char)('a' + i), BigTxtLength - 2))
        .ToArray();

    /// <summary>Fifty A records, <see cref="ManyAddresses"/> (198.51.100.1 to .50); the reply fits in 1232 bytes over UDP.</summary>
    public const string ManyName = "many.smolmix.test";

    /// <summary>The A records of <see cref="ManyName"/>, in zone order (unbound rotates the order of its answers).</summary>
    public static readonly IReadOnlyList<IPAddress> ManyAddresses = Enumerable.Range(1, 50)
        .Select(i => IPAddress.Parse("198.51.100." + i.ToString(CultureInfo.InvariantCulture)))
        .ToArray();

    /// <summary>One TXT record of two character-strings, <see cref="TxtStrings"/>.</summary>
    public const string TxtName = "txt.smolmix.test";

    /// <summary>The character-strings of the TXT record at <see cref="TxtName"/>.</summary>
    public static readonly IReadOnlyList<string> TxtStrings = ["hello smolmix", "second string"];

    /// <summary>MX 10 <see cref="Mail1Name"/> and MX 20 <see cref="Mail2Name"/> (minimal responses: no additional A records).</summary>
    public const string MxName = "mx.smolmix.test";

    /// <summary>Preference-10 exchange of <see cref="MxName"/>; A 192.0.2.41.</summary>
    public const string Mail1Name = "mail1.smolmix.test";

    /// <summary>Preference-20 exchange of <see cref="MxName"/>; A 192.0.2.42.</summary>
    public const string Mail2Name = "mail2.smolmix.test";

    /// <summary>SRV priority 10, weight 60, port 853, target <see cref="DnsServerName"/>.</summary>
    public const string SrvName = "_dns._tcp.smolmix.test";

    /// <summary>The name in the DoT server certificate (and SNI); in the zone it is A 127.0.0.1 (also the SRV target).</summary>
    public const string DnsServerName = "dns.smolmix.test";

    /// <summary>A name outside the zone: REFUSED (rcode 5). unbound never recurses to the internet.</summary>
    public const string OutsideName = "example.com";

    /// <summary>The zone file unbound loads (RFC 1035 master file format).</summary>
    internal static string ZoneFile()
    {
        var zone = new StringBuilder();
        void Line(string text) => zone.Append(text).Append('\n');
        Line("$ORIGIN smolmix.test.");
        Line($"@ {NegativeTtl} IN SOA ns.smolmix.test. hostmaster.smolmix.test. {SoaSerial} 3600 600 86400 {NegativeTtl}");
        Line($"@ {NormalTtl} IN NS ns");
        Line($"ns {NormalTtl} IN A 127.0.0.1");
        Line($"www {NormalTtl} IN A {HostV4}");
        Line($"www {NormalTtl} IN AAAA {HostV6}");
        Line($"cname1 {NormalTtl} IN CNAME cname2");
        Line($"cname2 {NormalTtl} IN CNAME cname3");
        Line($"cname3 {NormalTtl} IN CNAME target");
        Line($"target {NormalTtl} IN A {CnameTargetV4}");
        Line($"target {NormalTtl} IN AAAA {CnameTargetV6}");
        Line($"v4only {NormalTtl} IN A {V4OnlyV4}");
        Line($"short {ShortTtl} IN A {ShortTtlV4}");
        foreach (string text in BigTxtStrings)
        {
            Line($"big {NormalTtl} IN TXT \"{text}\"");
        }

        foreach (IPAddress address in ManyAddresses)
        {
            Line($"many {NormalTtl} IN A {address}");
        }

        Line($"txt {NormalTtl} IN TXT " + string.Join(' ', TxtStrings.Select(s => $"\"{s}\"")));
        Line($"mx {NormalTtl} IN MX 10 mail1");
        Line($"mx {NormalTtl} IN MX 20 mail2");
        Line($"mail1 {NormalTtl} IN A 192.0.2.41");
        Line($"mail2 {NormalTtl} IN A 192.0.2.42");
        Line($"_dns._tcp {NormalTtl} IN SRV 10 60 853 dns");
        Line($"dns {NormalTtl} IN A 127.0.0.1");
        return zone.ToString();
    }
}
