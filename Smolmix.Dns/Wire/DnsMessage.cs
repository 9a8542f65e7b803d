using System.Net;
using System.Text;

namespace Smolmix.Dns.Wire;

/// <summary>A whole DNS message: header, question and the three record sections (RFC 1035 §4).</summary>
internal sealed class DnsMessage
{
    private const int HeaderLength = 12;

    public ushort Id { get; set; }

    public bool IsResponse { get; set; }

    public byte Opcode { get; set; }

    public bool Authoritative { get; set; }

    public bool Truncated { get; set; }

    public bool RecursionDesired { get; set; }

    public bool RecursionAvailable { get; set; }

    public bool AuthenticData { get; set; }

    public bool CheckingDisabled { get; set; }

    /// <summary>The full response code (with the EDNS extended bits when an OPT record is present).</summary>
    public DnsResponseCode ResponseCode { get; set; }

    public List<DnsQuestion> Questions { get; } = [];

    public List<DnsRecord> Answers { get; } = [];

    public List<DnsRecord> Authorities { get; } = [];

    /// <summary>The additional section without the OPT pseudo-record (see <see cref="Edns"/>).</summary>
    public List<DnsRecord> Additionals { get; } = [];

    public DnsEdns? Edns { get; set; }

    /// <summary>A standard recursive query for one question, with EDNS(0) when <paramref name="ednsPayloadSize"/> is given.</summary>
    public static DnsMessage Query(ushort id, DnsQuestion question, ushort? ednsPayloadSize = DnsEdns.DefaultPayloadSize)
    {
        var m = new DnsMessage { Id = id, RecursionDesired = true };
        m.Questions.Add(question);
        if (ednsPayloadSize is ushort size)
        {
            m.Edns = new DnsEdns(size);
        }

        return m;
    }

    /// <summary>Parses a message.</summary>
    /// <exception cref="DnsFormatException">The message is malformed.</exception>
    public static DnsMessage Parse(ReadOnlySpan<byte> data)
    {
        if (data.Length < HeaderLength)
        {
            throw new DnsFormatException($"A DNS message of {data.Length} bytes is shorter than its header.");
        }

        if (data.Length > DnsWriter.MaxMessageLength)
        {
            throw new DnsFormatException($"A DNS message of {data.Length} bytes is longer than {DnsWriter.MaxMessageLength}.");
        }

        var r = new DnsReader(data);
        var m = new DnsMessage { Id = r.ReadUInt16() };
        ushort flags = r.ReadUInt16();
        m.IsResponse = (flags & 0x8000) != 0;
        m.Opcode = (byte)((flags >> 11) & 0xF);
        m.Authoritative = (flags & 0x0400) != 0;
        m.Truncated = (flags & 0x0200) != 0;
        m.RecursionDesired = (flags & 0x0100) != 0;
        m.RecursionAvailable = (flags & 0x0080) != 0;
        m.AuthenticData = (flags & 0x0020) != 0;
        m.CheckingDisabled = (flags & 0x0010) != 0;
        int rcode = flags & 0xF;
        int qd = r.ReadUInt16(), an = r.ReadUInt16(), ns = r.ReadUInt16(), ar = r.ReadUInt16();
        for (int i = 0; i < qd; i++)
        {
            string name = r.ReadName();
            m.Questions.Add(new DnsQuestion(name, (DnsRecordType)r.ReadUInt16(), r.ReadUInt16()));
        }

        ReadSection(ref r, an, m.Answers, m);
        ReadSection(ref r, ns, m.Authorities, m);
        ReadSection(ref r, ar, m.Additionals, m);
        m.ResponseCode = (DnsResponseCode)(((m.Edns?.ExtendedRcode ?? 0) << 4) | rcode);
        return m;
    }

    /// <summary>Encodes the message (names compressed).</summary>
    /// <exception cref="InvalidOperationException">The message would exceed 65,535 bytes.</exception>
    public byte[] Encode()
    {
        var w = new DnsWriter();
        Write(w, includeRecords: true);
        return w.ToArray();
    }

    /// <summary>
    /// Encodes the message to fit in <paramref name="maxLength"/> bytes, as a server does for UDP: if
    /// it does not fit, every record is left out and the TC bit is set (the client retries over TCP).
    /// </summary>
    public byte[] EncodeTruncated(int maxLength)
    {
        byte[] whole = Encode();
        if (whole.Length <= maxLength)
        {
            return whole;
        }

        var w = new DnsWriter();
        bool truncated = Truncated;
        Truncated = true;
        Write(w, includeRecords: false);
        Truncated = truncated;
        return w.ToArray();
    }

    /// <summary>A short description for logs and tests.</summary>
    public override string ToString()
    {
        var s = new StringBuilder();
        s.Append($"id={Id} {(IsResponse ? "response" : "query")} rcode={ResponseCode}{(Truncated ? " TC" : string.Empty)}");
        foreach (DnsQuestion q in Questions)
        {
            s.Append($" q={q.Name}/{q.Type}");
        }

        s.Append($" an={Answers.Count} ns={Authorities.Count} ar={Additionals.Count}");
        return s.ToString();
    }

    private static void ReadSection(ref DnsReader r, int count, List<DnsRecord> section, DnsMessage m)
    {
        for (int i = 0; i < count; i++)
        {
            string name = r.ReadName();
            var type = (DnsRecordType)r.ReadUInt16();
            ushort cls = r.ReadUInt16();
            uint ttl = r.ReadUInt32();
            int length = r.ReadUInt16();
            if (length > r.Remaining)
            {
                throw new DnsFormatException($"A {type} record's data ({length} bytes) runs past the end of the message.");
            }

            int start = r.Position;
            if (type == DnsRecordType.OPT)
            {
                if (!ReferenceEquals(section, m.Additionals) || m.Edns is not null || name != ".")
                {
                    throw new DnsFormatException("An OPT record that is not the one OPT record of the additional section, owned by the root.");
                }

                m.Edns = new DnsEdns(cls, (byte)(ttl >> 24), (byte)(ttl >> 16), (ttl & 0x8000) != 0);
                r.Position = start + length; // options are not used
                continue;
            }

            DnsRecord record = DnsRecordReader.Read(ref r, name, type, cls, ttl, length);
            if (r.Position != start + length)
            {
                throw new DnsFormatException($"A {type} record's data is {r.Position - start} bytes, not the {length} its length says.");
            }

            if (cls == DnsRecord.InternetClass)
            {
                section.Add(record);
            }
        }
    }

    private void Write(DnsWriter w, bool includeRecords)
    {
        w.WriteUInt16(Id);
        int rcode = (int)ResponseCode;
        int flags = (IsResponse ? 0x8000 : 0) | ((Opcode & 0xF) << 11) | (Authoritative ? 0x0400 : 0) | (Truncated ? 0x0200 : 0)
            | (RecursionDesired ? 0x0100 : 0) | (RecursionAvailable ? 0x0080 : 0) | (AuthenticData ? 0x0020 : 0) | (CheckingDisabled ? 0x0010 : 0) | (rcode & 0xF);
        w.WriteUInt16((ushort)flags);
        w.WriteUInt16((ushort)Questions.Count);
        w.WriteUInt16((ushort)(includeRecords ? Answers.Count : 0));
        w.WriteUInt16((ushort)(includeRecords ? Authorities.Count : 0));
        w.WriteUInt16((ushort)((includeRecords ? Additionals.Count : 0) + (Edns is null && rcode <= 0xF ? 0 : 1)));
        foreach (DnsQuestion q in Questions)
        {
            w.WriteName(q.Name);
            w.WriteUInt16((ushort)q.Type);
            w.WriteUInt16(q.Class);
        }

        if (includeRecords)
        {
            WriteRecords(w, Answers);
            WriteRecords(w, Authorities);
            WriteRecords(w, Additionals);
        }

        if (Edns is not null || rcode > 0xF)
        {
            DnsEdns e = Edns ?? new DnsEdns(DnsEdns.DefaultPayloadSize);
            w.WriteUInt8(0);
            w.WriteUInt16((ushort)DnsRecordType.OPT);
            w.WriteUInt16(e.UdpPayloadSize);
            w.WriteUInt32(((uint)(rcode >> 4) << 24) | ((uint)e.Version << 16) | (e.DnssecOk ? 0x8000u : 0));
            w.WriteUInt16(0);
        }
    }

    private static void WriteRecords(DnsWriter w, List<DnsRecord> records)
    {
        foreach (DnsRecord record in records)
        {
            w.WriteName(record.Name);
            w.WriteUInt16((ushort)record.Type);
            w.WriteUInt16(DnsRecord.InternetClass);
            w.WriteUInt32(record.TtlSeconds);
            int at = w.Position;
            w.WriteUInt16(0);
            record.WriteData(w);
            w.PatchUInt16(at, (ushort)(w.Position - at - 2));
        }
    }
}
