namespace Smolmix.Dns.Wire;

/// <summary>A question: name, type and class.</summary>
internal readonly record struct DnsQuestion(string Name, DnsRecordType Type, ushort Class = DnsRecord.InternetClass)
{
    /// <summary>True when <paramref name="other"/> asks the same (names compared ASCII case-insensitively).</summary>
    public bool Matches(DnsQuestion other) => Type == other.Type && Class == other.Class && DnsName.Equal(Name, other.Name);
}
