namespace Smolmix.Dns;

/// <summary>DNS resource record types (RFC 1035, RFC 3596, RFC 2782, RFC 9460, RFC 6891).</summary>
public enum DnsRecordType : ushort
{
    /// <summary>An IPv4 address.</summary>
    A = 1,

    /// <summary>An authoritative name server.</summary>
    NS = 2,

    /// <summary>The canonical name for an alias.</summary>
    CNAME = 5,

    /// <summary>The start of a zone of authority.</summary>
    SOA = 6,

    /// <summary>A domain name pointer (reverse lookups).</summary>
    PTR = 12,

    /// <summary>Mail exchange.</summary>
    MX = 15,

    /// <summary>Text strings.</summary>
    TXT = 16,

    /// <summary>An IPv6 address.</summary>
    AAAA = 28,

    /// <summary>A service location.</summary>
    SRV = 33,

    /// <summary>The EDNS(0) pseudo-record.</summary>
    OPT = 41,

    /// <summary>General service binding.</summary>
    SVCB = 64,

    /// <summary>Service binding for HTTPS (ALPN, port and address hints).</summary>
    HTTPS = 65,

    /// <summary>Any record (a query type only).</summary>
    ANY = 255,
}
