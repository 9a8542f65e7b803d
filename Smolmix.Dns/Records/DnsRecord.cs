using Smolmix.Dns.Wire;

namespace Smolmix.Dns;

/// <summary>A DNS resource record from an answer. The concrete type says which record it is (<see cref="ARecord"/>, <see cref="MxRecord"/>, …).</summary>
public abstract class DnsRecord
{
    /// <summary>The class IN (Internet), the only one this library reads.</summary>
    internal const ushort InternetClass = 1;

    private protected DnsRecord(string name, DnsRecordType type, TimeSpan timeToLive)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (timeToLive < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeToLive));
        }

        Name = name;
        Type = type;
        TimeToLive = timeToLive;
    }

    /// <summary>The owner name (ASCII presentation form, without a trailing dot).</summary>
    public string Name { get; }

    /// <summary>The record type.</summary>
    public DnsRecordType Type { get; }

    /// <summary>How long the record may be cached, as the server gave it (for records from the cache, what remains of it).</summary>
    public TimeSpan TimeToLive { get; }

    /// <summary>The TTL in whole seconds, as on the wire.</summary>
    internal uint TtlSeconds => (uint)Math.Min(int.MaxValue, (long)TimeToLive.TotalSeconds);

    /// <summary>A copy of this record with another TTL (the cache hands out what remains).</summary>
    internal abstract DnsRecord WithTimeToLive(TimeSpan timeToLive);

    /// <summary>Writes the RDATA (without its length).</summary>
    internal abstract void WriteData(DnsWriter writer);

    /// <summary>The record's data in presentation form.</summary>
    /// <returns>For example <c>192.0.2.1</c> for an A record.</returns>
    protected abstract string DataText();

    /// <summary>The record in zone-file form: name, TTL, class, type and data.</summary>
    /// <returns>For example <c>example.com 300 IN A 192.0.2.1</c>.</returns>
    public override string ToString() => $"{Name} {(long)TimeToLive.TotalSeconds} IN {Type} {DataText()}";
}
