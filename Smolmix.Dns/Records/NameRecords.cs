using Smolmix.Dns.Wire;

namespace Smolmix.Dns;

/// <summary>A CNAME record: the owner is an alias of <see cref="CanonicalName"/>.</summary>
public sealed class CnameRecord : DnsRecord
{
    /// <summary>Creates a CNAME record.</summary>
    /// <param name="name">The alias.</param>
    /// <param name="timeToLive">The TTL.</param>
    /// <param name="canonicalName">The name it stands for.</param>
    public CnameRecord(string name, TimeSpan timeToLive, string canonicalName)
        : base(name, DnsRecordType.CNAME, timeToLive)
        => CanonicalName = canonicalName ?? throw new ArgumentNullException(nameof(canonicalName));

    /// <summary>The canonical name.</summary>
    public string CanonicalName { get; }

    internal override DnsRecord WithTimeToLive(TimeSpan timeToLive) => new CnameRecord(Name, timeToLive, CanonicalName);

    internal override void WriteData(DnsWriter writer) => writer.WriteName(CanonicalName);

    /// <inheritdoc />
    protected override string DataText() => CanonicalName;
}

/// <summary>A PTR record: a name a reverse lookup (<c>in-addr.arpa</c>, <c>ip6.arpa</c>) points to.</summary>
public sealed class PtrRecord : DnsRecord
{
    /// <summary>Creates a PTR record.</summary>
    /// <param name="name">The owner name.</param>
    /// <param name="timeToLive">The TTL.</param>
    /// <param name="domainName">The name pointed to.</param>
    public PtrRecord(string name, TimeSpan timeToLive, string domainName)
        : base(name, DnsRecordType.PTR, timeToLive)
        => DomainName = domainName ?? throw new ArgumentNullException(nameof(domainName));

    /// <summary>The name pointed to.</summary>
    public string DomainName { get; }

    internal override DnsRecord WithTimeToLive(TimeSpan timeToLive) => new PtrRecord(Name, timeToLive, DomainName);

    internal override void WriteData(DnsWriter writer) => writer.WriteName(DomainName);

    /// <inheritdoc />
    protected override string DataText() => DomainName;
}

/// <summary>An NS record: a name server for the owner's zone.</summary>
public sealed class NsRecord : DnsRecord
{
    /// <summary>Creates an NS record.</summary>
    /// <param name="name">The zone.</param>
    /// <param name="timeToLive">The TTL.</param>
    /// <param name="nameServer">The server's name.</param>
    public NsRecord(string name, TimeSpan timeToLive, string nameServer)
        : base(name, DnsRecordType.NS, timeToLive)
        => NameServer = nameServer ?? throw new ArgumentNullException(nameof(nameServer));

    /// <summary>The server's name.</summary>
    public string NameServer { get; }

    internal override DnsRecord WithTimeToLive(TimeSpan timeToLive) => new NsRecord(Name, timeToLive, NameServer);

    internal override void WriteData(DnsWriter writer) => writer.WriteName(NameServer);

    /// <inheritdoc />
    protected override string DataText() => NameServer;
}

/// <summary>An MX record: a mail exchange for the owner.</summary>
public sealed class MxRecord : DnsRecord
{
    /// <summary>Creates an MX record.</summary>
    /// <param name="name">The owner name.</param>
    /// <param name="timeToLive">The TTL.</param>
    /// <param name="preference">Lower is preferred.</param>
    /// <param name="exchange">The mail server's name.</param>
    public MxRecord(string name, TimeSpan timeToLive, ushort preference, string exchange)
        : base(name, DnsRecordType.MX, timeToLive)
    {
        Preference = preference;
        Exchange = exchange ?? throw new ArgumentNullException(nameof(exchange));
    }

    /// <summary>The preference (lower is preferred).</summary>
    public ushort Preference { get; }

    /// <summary>The mail server's name.</summary>
    public string Exchange { get; }

    internal override DnsRecord WithTimeToLive(TimeSpan timeToLive) => new MxRecord(Name, timeToLive, Preference, Exchange);

    internal override void WriteData(DnsWriter writer)
    {
        writer.WriteUInt16(Preference);
        writer.WriteName(Exchange);
    }

    /// <inheritdoc />
    protected override string DataText() => $"{Preference} {Exchange}";
}

/// <summary>An SRV record: where a service runs (RFC 2782).</summary>
public sealed class SrvRecord : DnsRecord
{
    /// <summary>Creates an SRV record.</summary>
    /// <param name="name">The owner name (<c>_service._proto.name</c>).</param>
    /// <param name="timeToLive">The TTL.</param>
    /// <param name="priority">Lower is tried first.</param>
    /// <param name="weight">Relative weight among equal priorities.</param>
    /// <param name="port">The service's port.</param>
    /// <param name="target">The host's name.</param>
    public SrvRecord(string name, TimeSpan timeToLive, ushort priority, ushort weight, ushort port, string target)
        : base(name, DnsRecordType.SRV, timeToLive)
    {
        Priority = priority;
        Weight = weight;
        Port = port;
        Target = target ?? throw new ArgumentNullException(nameof(target));
    }

    /// <summary>The priority (lower is tried first).</summary>
    public ushort Priority { get; }

    /// <summary>The weight among records of equal priority.</summary>
    public ushort Weight { get; }

    /// <summary>The port.</summary>
    public ushort Port { get; }

    /// <summary>The host's name.</summary>
    public string Target { get; }

    internal override DnsRecord WithTimeToLive(TimeSpan timeToLive) => new SrvRecord(Name, timeToLive, Priority, Weight, Port, Target);

    internal override void WriteData(DnsWriter writer)
    {
        writer.WriteUInt16(Priority);
        writer.WriteUInt16(Weight);
        writer.WriteUInt16(Port);
        writer.WriteName(Target, compress: false);
    }

    /// <inheritdoc />
    protected override string DataText() => $"{Priority} {Weight} {Port} {Target}";
}

/// <summary>An SOA record: the start of a zone; in a negative answer its minimum bounds how long the answer is cached (RFC 2308).</summary>
public sealed class SoaRecord : DnsRecord
{
    /// <summary>Creates an SOA record.</summary>
    /// <param name="name">The zone.</param>
    /// <param name="timeToLive">The TTL.</param>
    /// <param name="primaryServer">The primary name server.</param>
    /// <param name="responsibleMailbox">The responsible person's mailbox, as a name.</param>
    /// <param name="serial">The zone's serial.</param>
    /// <param name="refresh">Refresh interval, seconds.</param>
    /// <param name="retry">Retry interval, seconds.</param>
    /// <param name="expire">Expiry, seconds.</param>
    /// <param name="minimum">The negative-caching TTL, seconds.</param>
    public SoaRecord(string name, TimeSpan timeToLive, string primaryServer, string responsibleMailbox, uint serial, uint refresh, uint retry, uint expire, uint minimum)
        : base(name, DnsRecordType.SOA, timeToLive)
    {
        PrimaryServer = primaryServer ?? throw new ArgumentNullException(nameof(primaryServer));
        ResponsibleMailbox = responsibleMailbox ?? throw new ArgumentNullException(nameof(responsibleMailbox));
        Serial = serial;
        Refresh = refresh;
        Retry = retry;
        Expire = expire;
        Minimum = minimum;
    }

    /// <summary>The primary name server.</summary>
    public string PrimaryServer { get; }

    /// <summary>The responsible person's mailbox (as a name).</summary>
    public string ResponsibleMailbox { get; }

    /// <summary>The zone's serial.</summary>
    public uint Serial { get; }

    /// <summary>Refresh interval in seconds.</summary>
    public uint Refresh { get; }

    /// <summary>Retry interval in seconds.</summary>
    public uint Retry { get; }

    /// <summary>Expiry in seconds.</summary>
    public uint Expire { get; }

    /// <summary>The negative-caching TTL in seconds.</summary>
    public uint Minimum { get; }

    internal override DnsRecord WithTimeToLive(TimeSpan timeToLive) => new SoaRecord(Name, timeToLive, PrimaryServer, ResponsibleMailbox, Serial, Refresh, Retry, Expire, Minimum);

    internal override void WriteData(DnsWriter writer)
    {
        writer.WriteName(PrimaryServer);
        writer.WriteName(ResponsibleMailbox);
        writer.WriteUInt32(Serial);
        writer.WriteUInt32(Refresh);
        writer.WriteUInt32(Retry);
        writer.WriteUInt32(Expire);
        writer.WriteUInt32(Minimum);
    }

    /// <inheritdoc />
    protected override string DataText() => $"{PrimaryServer} {ResponsibleMailbox} {Serial} {Refresh} {Retry} {Expire} {Minimum}";
}
