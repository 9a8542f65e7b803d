using System.Buffers.Binary;
using System.Net;
using System.Text;
using Smolmix.Dns.Wire;

namespace Smolmix.Dns;

/// <summary>
/// An SVCB or HTTPS record (RFC 9460): where and how to reach a service — ALPN protocols, port and
/// address hints. <see cref="DnsRecord.Type"/> tells the two apart.
/// </summary>
public sealed class SvcbRecord : DnsRecord
{
    /// <summary>SvcParamKey mandatory.</summary>
    public const ushort MandatoryKey = 0;

    /// <summary>SvcParamKey alpn.</summary>
    public const ushort AlpnKey = 1;

    /// <summary>SvcParamKey no-default-alpn.</summary>
    public const ushort NoDefaultAlpnKey = 2;

    /// <summary>SvcParamKey port.</summary>
    public const ushort PortKey = 3;

    /// <summary>SvcParamKey ipv4hint.</summary>
    public const ushort IPv4HintKey = 4;

    /// <summary>SvcParamKey ech.</summary>
    public const ushort EchKey = 5;

    /// <summary>SvcParamKey ipv6hint.</summary>
    public const ushort IPv6HintKey = 6;

    /// <summary>Creates an SVCB or HTTPS record.</summary>
    /// <param name="name">The owner name.</param>
    /// <param name="type"><see cref="DnsRecordType.SVCB"/> or <see cref="DnsRecordType.HTTPS"/>.</param>
    /// <param name="timeToLive">The TTL.</param>
    /// <param name="priority">0 for alias mode, otherwise the service mode priority (lower first).</param>
    /// <param name="targetName">The target ("." for the owner itself).</param>
    /// <param name="parameters">The SvcParams by key; each value in its wire form.</param>
    public SvcbRecord(string name, DnsRecordType type, TimeSpan timeToLive, ushort priority, string targetName, IReadOnlyDictionary<ushort, ReadOnlyMemory<byte>> parameters)
        : base(name, type is DnsRecordType.SVCB or DnsRecordType.HTTPS ? type : throw new ArgumentException("The type must be SVCB or HTTPS.", nameof(type)), timeToLive)
    {
        Priority = priority;
        TargetName = targetName ?? throw new ArgumentNullException(nameof(targetName));
        ArgumentNullException.ThrowIfNull(parameters);
        var sorted = new SortedDictionary<ushort, ReadOnlyMemory<byte>>();
        foreach ((ushort key, ReadOnlyMemory<byte> value) in parameters)
        {
            sorted[key] = value;
        }

        Parameters = sorted;
    }

    /// <summary>0 for alias mode; otherwise the priority (lower first).</summary>
    public ushort Priority { get; }

    /// <summary>True in alias mode (priority 0): <see cref="TargetName"/> names the service.</summary>
    public bool IsAlias => Priority == 0;

    /// <summary>The target name ("." means the owner name).</summary>
    public string TargetName { get; }

    /// <summary>Every SvcParam by key, values in wire form.</summary>
    public IReadOnlyDictionary<ushort, ReadOnlyMemory<byte>> Parameters { get; }

    /// <summary>The ALPN protocol ids offered (for example <c>h2</c>, <c>http/1.1</c>), or empty.</summary>
    public IReadOnlyList<string> Alpn => Parameters.TryGetValue(AlpnKey, out var v) ? ReadAlpn(v.Span) : [];

    /// <summary>True when the default ALPN of the scheme is not offered.</summary>
    public bool NoDefaultAlpn => Parameters.ContainsKey(NoDefaultAlpnKey);

    /// <summary>The port to connect to, or null for the scheme's default.</summary>
    public int? Port => Parameters.TryGetValue(PortKey, out var v) && v.Length == 2 ? BinaryPrimitives.ReadUInt16BigEndian(v.Span) : null;

    /// <summary>IPv4 address hints.</summary>
    public IReadOnlyList<IPAddress> IPv4Hints => Addresses(IPv4HintKey, 4);

    /// <summary>IPv6 address hints.</summary>
    public IReadOnlyList<IPAddress> IPv6Hints => Addresses(IPv6HintKey, 16);

    /// <summary>Checks the SvcParams that have a defined shape (RFC 9460 §7).</summary>
    internal static void Validate(IReadOnlyDictionary<ushort, ReadOnlyMemory<byte>> parameters)
    {
        foreach ((ushort key, ReadOnlyMemory<byte> value) in parameters)
        {
            int n = value.Length;
            bool ok = key switch
            {
                MandatoryKey => n > 0 && n % 2 == 0 && MandatoryWellFormed(value.Span),
                AlpnKey => n > 0 && AlpnWellFormed(value.Span),
                NoDefaultAlpnKey => n == 0,
                PortKey => n == 2,
                IPv4HintKey => n > 0 && n % 4 == 0,
                IPv6HintKey => n > 0 && n % 16 == 0,
                _ => true,
            };
            if (!ok)
            {
                throw new DnsFormatException($"A malformed SvcParam (key {key}, {n} bytes).");
            }
        }
    }

    internal override DnsRecord WithTimeToLive(TimeSpan timeToLive) => new SvcbRecord(Name, Type, timeToLive, Priority, TargetName, Parameters);

    internal override void WriteData(DnsWriter writer)
    {
        writer.WriteUInt16(Priority);
        writer.WriteName(TargetName, compress: false);
        foreach ((ushort key, ReadOnlyMemory<byte> value) in Parameters)
        {
            writer.WriteUInt16(key);
            writer.WriteUInt16((ushort)value.Length);
            writer.WriteBytes(value.Span);
        }
    }

    /// <inheritdoc />
    protected override string DataText()
    {
        var text = new StringBuilder().Append(Priority).Append(' ').Append(TargetName);
        if (Alpn.Count > 0)
        {
            text.Append(" alpn=").Append(string.Join(',', Alpn));
        }

        if (Port is int port)
        {
            text.Append(" port=").Append(port);
        }

        if (IPv4Hints.Count > 0)
        {
            text.Append(" ipv4hint=").Append(string.Join(',', IPv4Hints));
        }

        if (IPv6Hints.Count > 0)
        {
            text.Append(" ipv6hint=").Append(string.Join(',', IPv6Hints));
        }

        return text.ToString();
    }

    /// <summary>RFC 9460 §8: the keys in strictly increasing order, without mandatory (key 0) itself.</summary>
    private static bool MandatoryWellFormed(ReadOnlySpan<byte> value)
    {
        int last = MandatoryKey;
        for (int p = 0; p + 1 < value.Length; p += 2)
        {
            int key = BinaryPrimitives.ReadUInt16BigEndian(value[p..]);
            if (key <= last)
            {
                return false;
            }

            last = key;
        }

        return true;
    }

    private static bool AlpnWellFormed(ReadOnlySpan<byte> value)
    {
        int p = 0;
        while (p < value.Length)
        {
            int n = value[p];
            if (n == 0 || p + 1 + n > value.Length)
            {
                return false;
            }

            p += 1 + n;
        }

        return true;
    }

    private static string[] ReadAlpn(ReadOnlySpan<byte> value)
    {
        var ids = new List<string>();
        int p = 0;
        while (p < value.Length && p + 1 + value[p] <= value.Length)
        {
            ids.Add(Encoding.ASCII.GetString(value.Slice(p + 1, value[p])));
            p += 1 + value[p];
        }

        return [.. ids];
    }

    private IPAddress[] Addresses(ushort key, int size)
    {
        if (!Parameters.TryGetValue(key, out var v) || v.Length % size != 0)
        {
            return [];
        }

        var list = new IPAddress[v.Length / size];
        for (int i = 0; i < list.Length; i++)
        {
            list[i] = new IPAddress(v.Span.Slice(i * size, size));
        }

        return list;
    }
}
