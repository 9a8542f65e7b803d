using System.Net;

namespace Smolmix.Dns.Wire;

/// <summary>Decodes one record's RDATA by type; types without a decoder become <see cref="UnknownRecord"/>.</summary>
internal static class DnsRecordReader
{
    public static DnsRecord Read(ref DnsReader r, string name, DnsRecordType type, ushort cls, uint ttlSeconds, int length)
    {
        // RFC 2181 §8: a TTL with the top bit set is treated as zero.
        TimeSpan ttl = TimeSpan.FromSeconds(ttlSeconds > int.MaxValue ? 0 : ttlSeconds);
        if (cls != DnsRecord.InternetClass)
        {
            return new UnknownRecord(name, type, ttl, r.ReadBytes(length).ToArray());
        }

        int end = r.Position + length;
        switch (type)
        {
            case DnsRecordType.A:
                Expect(length == 4, type, length);
                return new ARecord(name, ttl, new IPAddress(r.ReadBytes(4)));
            case DnsRecordType.AAAA:
                Expect(length == 16, type, length);
                return new AaaaRecord(name, ttl, new IPAddress(r.ReadBytes(16)));
            case DnsRecordType.CNAME:
                return new CnameRecord(name, ttl, r.ReadName());
            case DnsRecordType.PTR:
                return new PtrRecord(name, ttl, r.ReadName());
            case DnsRecordType.NS:
                return new NsRecord(name, ttl, r.ReadName());
            case DnsRecordType.MX:
                return new MxRecord(name, ttl, r.ReadUInt16(), r.ReadName());
            case DnsRecordType.SRV:
                return new SrvRecord(name, ttl, r.ReadUInt16(), r.ReadUInt16(), r.ReadUInt16(), r.ReadName());
            case DnsRecordType.SOA:
                return new SoaRecord(name, ttl, r.ReadName(), r.ReadName(), r.ReadUInt32(), r.ReadUInt32(), r.ReadUInt32(), r.ReadUInt32(), r.ReadUInt32());
            case DnsRecordType.TXT:
                Expect(length > 0, type, length);
                var strings = new List<ReadOnlyMemory<byte>>();
                while (r.Position < end)
                {
                    int n = r.ReadUInt8();
                    Expect(r.Position + n <= end, type, length);
                    strings.Add(r.ReadBytes(n).ToArray());
                }

                return new TxtRecord(name, ttl, strings);
            case DnsRecordType.SVCB:
            case DnsRecordType.HTTPS:
                ushort priority = r.ReadUInt16();
                string target = r.ReadName(allowCompression: false);
                var parameters = new Dictionary<ushort, ReadOnlyMemory<byte>>();
                int lastKey = -1;
                while (r.Position < end)
                {
                    ushort key = r.ReadUInt16();
                    int n = r.ReadUInt16();
                    if (key <= lastKey)
                    {
                        throw new DnsFormatException("SvcParam keys are not in strictly increasing order.");
                    }

                    Expect(r.Position + n <= end, type, length);
                    parameters[key] = r.ReadBytes(n).ToArray();
                    lastKey = key;
                }

                Expect(r.Position <= end, type, length);
                SvcbRecord.Validate(parameters);
                return new SvcbRecord(name, type, ttl, priority, target, parameters);
            default:
                return new UnknownRecord(name, type, ttl, r.ReadBytes(length).ToArray());
        }
    }

    private static void Expect(bool condition, DnsRecordType type, int length)
    {
        if (!condition)
        {
            throw new DnsFormatException($"A malformed {type} record ({length} bytes of data).");
        }
    }
}
