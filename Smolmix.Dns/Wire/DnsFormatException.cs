namespace Smolmix.Dns.Wire;

/// <summary>A DNS message that does not follow RFC 1035 (or the RFC of one of its records).</summary>
internal sealed class DnsFormatException : FormatException
{
    public DnsFormatException(string message)
        : base(message)
    {
    }
}
