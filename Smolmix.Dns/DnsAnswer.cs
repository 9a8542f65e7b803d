namespace Smolmix.Dns;

/// <summary>The answer to one question: the records of the asked type at the end of any CNAME chain.</summary>
public sealed class DnsAnswer
{
    internal DnsAnswer(string name, DnsRecordType type, DnsResponseCode responseCode, string canonicalName, IReadOnlyList<DnsRecord> records, IReadOnlyList<CnameRecord> aliases, DnsServer? server, bool fromCache, bool isStale)
    {
        Name = name;
        Type = type;
        ResponseCode = responseCode;
        CanonicalName = canonicalName;
        Records = records;
        Aliases = aliases;
        Server = server;
        FromCache = fromCache;
        IsStale = isStale;
    }

    /// <summary>The name asked for (ASCII form).</summary>
    public string Name { get; }

    /// <summary>The record type asked for.</summary>
    public DnsRecordType Type { get; }

    /// <summary><see cref="DnsResponseCode.NoError"/>, or <see cref="DnsResponseCode.NameError"/> when the name does not exist.</summary>
    public DnsResponseCode ResponseCode { get; }

    /// <summary>The name the records belong to: <see cref="Name"/>, or the end of its CNAME chain.</summary>
    public string CanonicalName { get; }

    /// <summary>The records of the asked type (empty when the name has none, or does not exist).</summary>
    public IReadOnlyList<DnsRecord> Records { get; }

    /// <summary>The CNAME records followed from <see cref="Name"/> to <see cref="CanonicalName"/>, in order.</summary>
    public IReadOnlyList<CnameRecord> Aliases { get; }

    /// <summary>The server that gave the answer (null for one made up from a zone of the resolver's own).</summary>
    public DnsServer? Server { get; }

    /// <summary>True when the answer came from the cache (no query was sent).</summary>
    public bool FromCache { get; }

    /// <summary>True when the answer had expired and was served because no server answered (RFC 8767).</summary>
    public bool IsStale { get; }

    /// <summary>The records of type <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">A record class, e.g. <see cref="MxRecord"/>.</typeparam>
    /// <returns>The matching records, in answer order.</returns>
    public IEnumerable<T> RecordsOf<T>()
        where T : DnsRecord => Records.OfType<T>();
}
