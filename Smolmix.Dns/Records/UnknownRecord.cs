using Smolmix.Dns.Wire;

namespace Smolmix.Dns;

/// <summary>A record of a type this library does not decode: its RDATA as received (RFC 3597).</summary>
public sealed class UnknownRecord : DnsRecord
{
    /// <summary>Creates a record of any type from its RDATA.</summary>
    /// <param name="name">The owner name.</param>
    /// <param name="type">The record type.</param>
    /// <param name="timeToLive">The TTL.</param>
    /// <param name="data">The RDATA.</param>
    public UnknownRecord(string name, DnsRecordType type, TimeSpan timeToLive, ReadOnlyMemory<byte> data)
        : base(name, type, timeToLive)
        => Data = data;

    /// <summary>The RDATA.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    internal override DnsRecord WithTimeToLive(TimeSpan timeToLive) => new UnknownRecord(Name, Type, timeToLive, Data);

    internal override void WriteData(DnsWriter writer) => writer.WriteBytes(Data.Span);

    /// <inheritdoc />
    protected override string DataText() => $"\\# {Data.Length} {Convert.ToHexString(Data.Span)}";
}
