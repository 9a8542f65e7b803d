using System.Text;
using Smolmix.Dns.Wire;

namespace Smolmix.Dns;

/// <summary>A TXT record: one or more character strings of up to 255 bytes each.</summary>
public sealed class TxtRecord : DnsRecord
{
    /// <summary>Creates a TXT record.</summary>
    /// <param name="name">The owner name.</param>
    /// <param name="timeToLive">The TTL.</param>
    /// <param name="strings">The character strings: at least one (RFC 1035 §3.3.14), each at most 255 bytes.</param>
    /// <exception cref="ArgumentException">No string, or a string longer than 255 bytes.</exception>
    public TxtRecord(string name, TimeSpan timeToLive, IReadOnlyList<ReadOnlyMemory<byte>> strings)
        : base(name, DnsRecordType.TXT, timeToLive)
    {
        ArgumentNullException.ThrowIfNull(strings);
        if (strings.Count == 0)
        {
            throw new ArgumentException("A TXT record holds at least one character string.", nameof(strings));
        }

        foreach (ReadOnlyMemory<byte> s in strings)
        {
            if (s.Length > 255)
            {
                throw new ArgumentException("A TXT character string holds at most 255 bytes.", nameof(strings));
            }
        }

        RawStrings = strings;
    }

    /// <summary>Creates a TXT record from text (UTF-8 encoded).</summary>
    /// <param name="name">The owner name.</param>
    /// <param name="timeToLive">The TTL.</param>
    /// <param name="strings">The strings: at least one.</param>
    /// <exception cref="ArgumentException">No string, or a string longer than 255 bytes in UTF-8.</exception>
    public TxtRecord(string name, TimeSpan timeToLive, params string[] strings)
        : this(name, timeToLive, strings.Select(s => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(s)).ToArray())
    {
    }

    /// <summary>The character strings as bytes.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> RawStrings { get; }

    /// <summary>The character strings decoded as UTF-8 (invalid bytes become U+FFFD).</summary>
    public IReadOnlyList<string> Text => RawStrings.Select(s => Encoding.UTF8.GetString(s.Span)).ToArray();

    internal override DnsRecord WithTimeToLive(TimeSpan timeToLive) => new TxtRecord(Name, timeToLive, RawStrings);

    internal override void WriteData(DnsWriter writer)
    {
        foreach (ReadOnlyMemory<byte> s in RawStrings)
        {
            writer.WriteUInt8((byte)s.Length);
            writer.WriteBytes(s.Span);
        }
    }

    /// <inheritdoc />
    protected override string DataText() => string.Join(' ', Text.Select(t => $"\"{t.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\""));
}
