namespace Smolmix.Dns;

/// <summary>DNS response codes (RFC 1035 §4.1.1, RFC 6891 extended codes).</summary>
public enum DnsResponseCode : ushort
{
    /// <summary>No error.</summary>
    NoError = 0,

    /// <summary>The server could not interpret the query.</summary>
    FormatError = 1,

    /// <summary>The server failed to answer (SERVFAIL).</summary>
    ServerFailure = 2,

    /// <summary>The name does not exist (NXDOMAIN).</summary>
    NameError = 3,

    /// <summary>The server does not support the kind of query.</summary>
    NotImplemented = 4,

    /// <summary>The server refused to answer.</summary>
    Refused = 5,

    /// <summary>The server does not support the EDNS version (extended code).</summary>
    BadVersion = 16,
}
