using System.Net;
using CsCheck;
using Smolmix.Dns.Wire;

namespace Smolmix.Dns.Tests.Wire;

/// <summary>CsCheck generators of valid DNS messages: any label bytes, shared suffixes (so compression is used), every record type.</summary>
internal static class DnsMessageGen
{
    private static readonly DnsRecordType[] UnknownTypes = [(DnsRecordType)43, (DnsRecordType)46, (DnsRecordType)99, (DnsRecordType)257, (DnsRecordType)65280];

    /// <summary>A label: mostly letters of either case, sometimes any byte (dots, backslashes, non-printables).</summary>
    public static readonly Gen<byte[]> Label = Gen.Frequency(
        (4, Gen.Byte[(byte)'a', (byte)'e'].Array[1, 4]),
        (1, Gen.Byte[(byte)'A', (byte)'E'].Array[1, 4]),
        (2, Gen.Byte.Array[1, 12]),
        (1, Gen.Byte.Array[60, 63]));

    /// <summary>A name of up to four labels ending in one of a few suffixes, within 255 bytes on the wire.</summary>
    public static readonly Gen<string> Name = Gen.Select(
        Label.List[0, 3],
        Gen.OneOf(Gen.Const(new List<byte[]>()), Gen.Const(Labels("example", "com")), Gen.Const(Labels("Example", "COM")), Gen.Const(Labels("cdn", "example", "net")), Label.List[1, 2]),
        (prefix, suffix) =>
        {
            var labels = new List<byte[]>([.. prefix, .. suffix]);
            while (labels.Count > 0 && labels.Sum(l => l.Length + 1) + 1 > DnsName.MaxWireLength)
            {
                labels.RemoveAt(0);
            }

            return DnsName.Join(labels, 0);
        });

    private static readonly Gen<TimeSpan> Ttl = Gen.UInt[0, int.MaxValue].Select(s => TimeSpan.FromSeconds(s));

    private static readonly Gen<ReadOnlyMemory<byte>> Alpn = Gen.Byte[(byte)'a', (byte)'z'].Array[1, 8].List[1, 3]
        .Select(ids => (ReadOnlyMemory<byte>)ids.SelectMany(id => (byte[])[(byte)id.Length, .. id]).ToArray());

    private static readonly Gen<KeyValuePair<ushort, ReadOnlyMemory<byte>>> SvcParam = Gen.OneOf(
        Gen.UShort[1, 700].Array[1, 4].Select(keys => Param(SvcbRecord.MandatoryKey, keys.Distinct().Order().SelectMany(k => (byte[])[(byte)(k >> 8), (byte)k]).ToArray())),
        Alpn.Select(v => new KeyValuePair<ushort, ReadOnlyMemory<byte>>(SvcbRecord.AlpnKey, v)),
        Gen.Const(Param(SvcbRecord.NoDefaultAlpnKey, [])),
        Gen.Byte.Array[2].Select(v => Param(SvcbRecord.PortKey, v)),
        Gen.Byte.Array[4].List[1, 3].Select(a => Param(SvcbRecord.IPv4HintKey, a.SelectMany(x => x).ToArray())),
        Gen.Byte.Array[0, 20].Select(v => Param(SvcbRecord.EchKey, v)),
        Gen.Byte.Array[16].List[1, 2].Select(a => Param(SvcbRecord.IPv6HintKey, a.SelectMany(x => x).ToArray())),
        Gen.Select(Gen.UShort[7, ushort.MaxValue], Gen.Byte.Array[0, 10], (k, v) => Param(k, v)));

    public static readonly Gen<DnsRecord> Record = Gen.OneOf<DnsRecord>(
        Gen.Select(Name, Ttl, Gen.Byte.Array[4], (n, t, a) => (DnsRecord)new ARecord(n, t, new IPAddress(a))),
        Gen.Select(Name, Ttl, Gen.Byte.Array[16], (n, t, a) => (DnsRecord)new AaaaRecord(n, t, new IPAddress(a))),
        Gen.Select(Name, Ttl, Name, (n, t, c) => (DnsRecord)new CnameRecord(n, t, c)),
        Gen.Select(Name, Ttl, Name, (n, t, c) => (DnsRecord)new PtrRecord(n, t, c)),
        Gen.Select(Name, Ttl, Name, (n, t, c) => (DnsRecord)new NsRecord(n, t, c)),
        Gen.Select(Name, Ttl, Gen.UShort, Name, (n, t, p, x) => (DnsRecord)new MxRecord(n, t, p, x)),
        Gen.Select(Name, Ttl, Gen.UShort, Gen.UShort, Gen.UShort, Name, (n, t, p, w, port, x) => (DnsRecord)new SrvRecord(n, t, p, w, port, x)),
        Gen.Select(Name, Ttl, Name, Name, Gen.UInt.Array[5], (n, t, a, b, v) => (DnsRecord)new SoaRecord(n, t, a, b, v[0], v[1], v[2], v[3], v[4])),
        Gen.Select(Name, Ttl, Gen.Byte.Array[0, 255].List[1, 3], (n, t, s) => (DnsRecord)new TxtRecord(n, t, s.Select(x => (ReadOnlyMemory<byte>)x).ToList())),
        Gen.Select(Name, Ttl, Gen.Bool, Gen.UShort, Name, SvcParam.List[0, 5], (n, t, https, p, target, ps) => (DnsRecord)new SvcbRecord(n, https ? DnsRecordType.HTTPS : DnsRecordType.SVCB, t, p, target, Distinct(ps))),
        Gen.Select(Name, Ttl, Gen.Int[0, UnknownTypes.Length - 1], Gen.Byte.Array[0, 40], (n, t, i, d) => (DnsRecord)new UnknownRecord(n, UnknownTypes[i], t, d)));

    private static readonly Gen<DnsQuestion> Question = Gen.Select(Name, Gen.UShort, Gen.Frequency((4, Gen.Const((ushort)1)), (1, Gen.UShort)), (n, t, c) => new DnsQuestion(n, (DnsRecordType)t, c));

    /// <summary>A message with up to 2 questions, up to 4 records a section and EDNS half the time.</summary>
    public static readonly Gen<DnsMessage> Message = Gen.Select(
        Gen.UShort, Gen.Int[0, 0xFF], Gen.Int[0, 0xFFF], Gen.Bool, Gen.Select(Gen.UShort, Gen.Byte, Gen.Bool),
        Question.List[0, 2], Record.List[0, 4], Record.List[0, 4], Record.List[0, 4],
        (id, flags, rcode, edns, opt, questions, answers, authorities, additionals) =>
        {
            var m = new DnsMessage
            {
                Id = id,
                IsResponse = (flags & 1) != 0,
                Authoritative = (flags & 2) != 0,
                Truncated = (flags & 4) != 0,
                RecursionDesired = (flags & 8) != 0,
                RecursionAvailable = (flags & 16) != 0,
                AuthenticData = (flags & 32) != 0,
                CheckingDisabled = (flags & 64) != 0,
                Opcode = (byte)(flags >> 4),
                ResponseCode = (DnsResponseCode)(edns ? rcode : rcode & 0xF),
                Edns = edns ? new DnsEdns(opt.Item1, (byte)(rcode >> 4), opt.Item2, opt.Item3) : null,
            };
            m.Questions.AddRange(questions);
            m.Answers.AddRange(answers);
            m.Authorities.AddRange(authorities);
            m.Additionals.AddRange(additionals);
            return m;
        });

    private static List<byte[]> Labels(params string[] labels) => labels.Select(l => System.Text.Encoding.ASCII.GetBytes(l)).ToList();

    private static KeyValuePair<ushort, ReadOnlyMemory<byte>> Param(ushort key, byte[] value) => new(key, value);

    private static Dictionary<ushort, ReadOnlyMemory<byte>> Distinct(List<KeyValuePair<ushort, ReadOnlyMemory<byte>>> parameters)
    {
        var byKey = new Dictionary<ushort, ReadOnlyMemory<byte>>();
        foreach ((ushort key, ReadOnlyMemory<byte> value) in parameters)
        {
            byKey[key] = value;
        }

        return byKey;
    }
}
