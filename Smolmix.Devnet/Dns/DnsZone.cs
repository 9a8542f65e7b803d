using System.Net;
using Smolmix.Dns;
using Smolmix.Dns.Wire;

namespace Smolmix.Devnet.Dns;

/// <summary>What the zone made of one query.</summary>
internal enum DnsOutcome
{
    /// <summary>Answered (any response code but the two below).</summary>
    Answered,

    /// <summary>Answered with NXDOMAIN.</summary>
    NameError,

    /// <summary>A malformed query answered with FORMERR.</summary>
    FormatError,

    /// <summary>Not answered: too short for a header, or a response.</summary>
    Dropped,
}

/// <summary>
/// The Devnet's whole DNS namespace, answered like a recursive resolver would: the names of
/// <see cref="DevnetOptions.Hosts"/> (A and AAAA with their "public" addresses), the records of
/// <see cref="DevnetOptions.DnsRecords"/>, CNAME chains within the zone, NODATA for a name without
/// the type asked (names that only have descendants included, RFC 8020), and NXDOMAIN for
/// everything else; negative answers carry the root SOA whose minimum is the negative TTL (RFC 2308).
/// </summary>
internal sealed class DnsZone
{
    /// <summary>The TTL of the A and AAAA records made for hosts.</summary>
    public static readonly TimeSpan HostTtl = TimeSpan.FromSeconds(60);

    /// <summary>How long negative answers may be cached (the SOA's TTL and minimum).</summary>
    public const uint NegativeTtlSeconds = 30;

    /// <summary>The largest UDP answer, whatever the client advertises (the DNS flag day 2020 size, unfragmented in any tunnel MTU).</summary>
    public const int MaxUdpPayload = DnsEdns.DefaultPayloadSize;

    /// <summary>The most CNAMEs followed for one answer.</summary>
    public const int MaxCnameHops = 8;

    /// <summary>The most hosts: the IPv4 range 198.18.0.0/15 has 2^17 addresses, .0 not used.</summary>
    public const int MaxHosts = (1 << 17) - 2;

    private const int HeaderLength = 12;

    private static readonly SoaRecord RootSoa = new(
        ".", TimeSpan.FromSeconds(NegativeTtlSeconds), "ns.devnet.smolmix.invalid", "hostmaster.devnet.smolmix.invalid",
        serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: NegativeTtlSeconds);

    private readonly Dictionary<string, List<DnsRecord>> _records = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _names = new(StringComparer.OrdinalIgnoreCase);

    private DnsZone(List<DevnetHostMapping> hosts) => Hosts = hosts;

    /// <summary>The hosts, in name order, with the addresses they were given.</summary>
    public IReadOnlyList<DevnetHostMapping> Hosts { get; }

    /// <summary>Builds the zone: hosts get addresses in ordinal name order (198.18.0.1, 2001:2::1 for the first, …), so a run is repeatable.</summary>
    /// <exception cref="ArgumentException">A bad host name or record, or two names that are the same.</exception>
    public static DnsZone Build(IEnumerable<KeyValuePair<string, IPEndPoint>> hosts, IEnumerable<DnsRecord> records)
    {
        var normalized = new SortedDictionary<string, IPEndPoint>(StringComparer.Ordinal);
        foreach ((string name, IPEndPoint target) in hosts)
        {
            ArgumentNullException.ThrowIfNull(target, nameof(DevnetOptions.Hosts));
            string key = DnsName.FromHostName(name, nameof(DevnetOptions.Hosts));
            if (!normalized.TryAdd(key, target))
            {
                throw new ArgumentException($"The host name '{name}' is given twice (names are case-insensitive).", nameof(DevnetOptions.Hosts));
            }
        }

        if (normalized.Count > MaxHosts)
        {
            throw new ArgumentException($"At most {MaxHosts} hosts.", nameof(DevnetOptions.Hosts));
        }

        var mappings = new List<DevnetHostMapping>(normalized.Count);
        int index = 1;
        foreach ((string name, IPEndPoint target) in normalized)
        {
            mappings.Add(new DevnetHostMapping(name, HostV4(index), HostV6(index), target));
            index++;
        }

        var zone = new DnsZone(mappings);
        foreach (DevnetHostMapping host in mappings)
        {
            zone.Add(new ARecord(host.Name, HostTtl, host.IPv4));
            zone.Add(new AaaaRecord(host.Name, HostTtl, host.IPv6));
        }

        foreach (DnsRecord record in records)
        {
            ArgumentNullException.ThrowIfNull(record, nameof(DevnetOptions.DnsRecords));
            if (record.Type is DnsRecordType.OPT or DnsRecordType.ANY)
            {
                throw new ArgumentException($"{record.Type} is not a record type a zone can hold.", nameof(DevnetOptions.DnsRecords));
            }

            try
            {
                _ = DnsName.ToLabels(record.Name);
            }
            catch (ArgumentException ex)
            {
                throw new ArgumentException($"The record '{record}' has a bad name: {ex.Message}", nameof(DevnetOptions.DnsRecords), ex);
            }

            zone.Add(record);
        }

        foreach ((string name, List<DnsRecord> list) in zone._records)
        {
            if (list.Exists(r => r.Type == DnsRecordType.CNAME) && list.Count > 1)
            {
                throw new ArgumentException($"'{name}' has a CNAME and other records; a CNAME must be alone (RFC 1034 §3.6.2).", nameof(DevnetOptions.DnsRecords));
            }
        }

        return zone;
    }

    /// <summary>The IPv4 address of the <paramref name="index"/>th host (1-based): 198.18.0.0/15 plus the index.</summary>
    public static IPAddress HostV4(int index) => new([198, (byte)(18 + (index >> 16)), (byte)(index >> 8), (byte)index]);

    /// <summary>The IPv6 address of the <paramref name="index"/>th host (1-based): 2001:2:: plus the index.</summary>
    public static IPAddress HostV6(int index)
    {
        var bytes = new byte[16];
        bytes[0] = 0x20;
        bytes[1] = 0x01;
        bytes[3] = 0x02;
        bytes[13] = (byte)(index >> 16);
        bytes[14] = (byte)(index >> 8);
        bytes[15] = (byte)index;
        return new IPAddress(bytes);
    }

    /// <summary>
    /// Answers one query in wire form. <paramref name="udpLimit"/> is true for UDP, where the answer is
    /// truncated (TC, no records) above the query's EDNS payload size (at most <see cref="MaxUdpPayload"/>)
    /// or 512 bytes without EDNS. Never throws for any input; null means no answer is sent.
    /// </summary>
    public byte[]? Respond(ReadOnlySpan<byte> query, bool udpLimit, out DnsOutcome outcome, out bool truncated)
    {
        truncated = false;
        if (query.Length < HeaderLength || (query[2] & 0x80) != 0)
        {
            // Too short to answer, or a response: answering a response invites reflection loops.
            outcome = DnsOutcome.Dropped;
            return null;
        }

        DnsMessage request;
        try
        {
            request = DnsMessage.Parse(query);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException or IndexOutOfRangeException or OverflowException)
        {
            outcome = DnsOutcome.FormatError;
            return FormatError(query);
        }

        DnsMessage response = Answer(request);
        outcome = response.ResponseCode switch
        {
            DnsResponseCode.NameError => DnsOutcome.NameError,
            DnsResponseCode.FormatError => DnsOutcome.FormatError,
            _ => DnsOutcome.Answered,
        };
        try
        {
            if (!udpLimit)
            {
                return response.Encode();
            }

            int limit = request.Edns is DnsEdns edns ? Math.Clamp((int)edns.UdpPayloadSize, 512, MaxUdpPayload) : 512;
            byte[] wire = response.EncodeTruncated(limit);
            truncated = (wire[2] & 0x02) != 0;
            return wire;
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
        {
            // Records too many for one message (or a name the writer refuses): SERVFAIL, not a crash.
            var failure = Header(request.Id, request.Opcode, request.RecursionDesired, DnsResponseCode.ServerFailure);
            failure.Questions.AddRange(request.Questions);
            outcome = DnsOutcome.Answered;
            return failure.Encode();
        }
    }

    /// <summary>The response to a parsed query.</summary>
    public DnsMessage Answer(DnsMessage query)
    {
        DnsMessage r = Header(query.Id, query.Opcode, query.RecursionDesired, DnsResponseCode.NoError);
        r.CheckingDisabled = query.CheckingDisabled;
        r.Questions.AddRange(query.Questions);
        if (query.Edns is DnsEdns edns)
        {
            r.Edns = new DnsEdns(DnsEdns.DefaultPayloadSize);
            if (edns.Version != 0)
            {
                r.ResponseCode = DnsResponseCode.BadVersion;
                return r;
            }
        }

        if (query.Opcode != 0)
        {
            r.ResponseCode = DnsResponseCode.NotImplemented;
            return r;
        }

        if (query.Questions.Count != 1 || query.Answers.Count != 0 || query.Authorities.Count != 0)
        {
            r.ResponseCode = DnsResponseCode.FormatError;
            return r;
        }

        DnsQuestion question = query.Questions[0];
        if (question.Class != DnsRecord.InternetClass)
        {
            r.ResponseCode = DnsResponseCode.Refused;
            return r;
        }

        if (question.Type == DnsRecordType.OPT)
        {
            r.ResponseCode = DnsResponseCode.FormatError;
            return r;
        }

        string name = question.Name;
        for (int hop = 0; ; hop++)
        {
            if (!_names.Contains(name))
            {
                // RFC 6604: the code is about the last name of the chain.
                r.ResponseCode = DnsResponseCode.NameError;
                r.Authorities.Add(RootSoa);
                return r;
            }

            List<DnsRecord>? records = _records.GetValueOrDefault(name);
            List<DnsRecord> matching = records?.FindAll(x => question.Type == DnsRecordType.ANY || x.Type == question.Type) ?? [];
            if (matching.Count > 0)
            {
                r.Answers.AddRange(matching);
                return r;
            }

            if (records?.Find(x => x.Type == DnsRecordType.CNAME) is CnameRecord cname && hop < MaxCnameHops)
            {
                r.Answers.Add(cname);
                name = cname.CanonicalName;
                continue;
            }

            if (hop >= MaxCnameHops)
            {
                r.ResponseCode = DnsResponseCode.ServerFailure;
                return r;
            }

            r.Authorities.Add(RootSoa);
            return r;
        }
    }

    private static DnsMessage Header(ushort id, byte opcode, bool recursionDesired, DnsResponseCode code) => new()
    {
        Id = id,
        IsResponse = true,
        Opcode = opcode,
        RecursionDesired = recursionDesired,
        RecursionAvailable = true,
        ResponseCode = code,
    };

    /// <summary>FORMERR for a query that cannot be parsed: its id, opcode and RD, nothing else.</summary>
    private static byte[] FormatError(ReadOnlySpan<byte> query)
    {
        var id = (ushort)((query[0] << 8) | query[1]);
        var opcode = (byte)((query[2] >> 3) & 0xF);
        bool rd = (query[2] & 0x01) != 0;
        return Header(id, opcode, rd, DnsResponseCode.FormatError).Encode();
    }

    private void Add(DnsRecord record)
    {
        string name = record.Name.Length > 1 && record.Name[^1] == '.' ? record.Name[..^1] : record.Name;
        if (!_records.TryGetValue(name, out List<DnsRecord>? list))
        {
            _records[name] = list = [];
        }

        list.Add(record);

        // The name and every ancestor exist (an ancestor without records answers NODATA, not NXDOMAIN).
        string at = name;
        while (_names.Add(at))
        {
            int dot = NextDot(at);
            if (dot < 0)
            {
                _names.Add(".");
                break;
            }

            at = at[(dot + 1)..];
        }
    }

    /// <summary>The first dot that separates labels (not an escaped <c>\.</c>), or -1.</summary>
    private static int NextDot(string name)
    {
        for (int i = 0; i < name.Length; i++)
        {
            if (name[i] == '\\')
            {
                i += i + 1 < name.Length && char.IsAsciiDigit(name[i + 1]) ? 3 : 1;
            }
            else if (name[i] == '.')
            {
                return i;
            }
        }

        return -1;
    }
}
