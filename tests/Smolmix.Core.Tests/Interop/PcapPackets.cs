using System.Buffers.Binary;
using System.Net;
using Smolmix.Tests.Devices;

namespace Smolmix.Tests.Interop;

/// <summary>A TCP segment read back from a raw-IP capture (parsed here, independently of the stack).</summary>
internal sealed record CapturedTcp(int IpLength, IPAddress Source, IPAddress Destination, ushort SourcePort, ushort DestinationPort,
    byte Flags, int PayloadLength, int? Mss)
{
    public bool Syn => (Flags & 0x02) != 0;
    public bool Ack => (Flags & 0x10) != 0;

    /// <summary>The TCP segments of a capture file (IPv4 and IPv6 without extension headers).</summary>
    public static List<CapturedTcp> Read(string pcapPath)
    {
        var list = new List<CapturedTcp>();
        foreach (var r in PcapRecord.ReadAll(File.ReadAllBytes(pcapPath)))
        {
            if (TryParse(r.Data) is { } t)
            {
                list.Add(t);
            }
        }

        return list;
    }

    private static CapturedTcp? TryParse(byte[] p)
    {
        int version = p[0] >> 4;
        int ipHeader, totalLength;
        IPAddress src, dst;
        if (version == 4)
        {
            if (p[9] != 6)
            {
                return null;
            }

            ipHeader = (p[0] & 0x0F) * 4;
            totalLength = BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(2));
            src = new IPAddress(p.AsSpan(12, 4));
            dst = new IPAddress(p.AsSpan(16, 4));
        }
        else if (version == 6)
        {
            if (p[6] != 6)
            {
                return null;
            }

            ipHeader = 40;
            totalLength = 40 + BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(4));
            src = new IPAddress(p.AsSpan(8, 16));
            dst = new IPAddress(p.AsSpan(24, 16));
        }
        else
        {
            return null;
        }

        var tcp = p.AsSpan(ipHeader, totalLength - ipHeader);
        int dataOffset = (tcp[12] >> 4) * 4;
        int? mss = null;
        var opts = tcp[20..dataOffset];
        for (int i = 0; i < opts.Length;)
        {
            byte kind = opts[i];
            if (kind == 0)
            {
                break;
            }

            if (kind == 1)
            {
                i++;
                continue;
            }

            int len = i + 1 < opts.Length ? opts[i + 1] : 0;
            if (len < 2 || i + len > opts.Length)
            {
                break;
            }

            if (kind == 2 && len == 4)
            {
                mss = BinaryPrimitives.ReadUInt16BigEndian(opts[(i + 2)..]);
            }

            i += len;
        }

        return new CapturedTcp(totalLength, src, dst, BinaryPrimitives.ReadUInt16BigEndian(tcp), BinaryPrimitives.ReadUInt16BigEndian(tcp[2..]),
            tcp[13], tcp.Length - dataOffset, mss);
    }
}
