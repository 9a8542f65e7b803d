using System.Buffers.Binary;
using Smolmix.Wire;

namespace Smolmix.Tests.Wire;

/// <summary>Builds fragments by hand (independently of <see cref="Fragmenter"/>).</summary>
internal static class Fragments
{
    public static byte[] V4(ushort id, int offset, bool more, ReadOnlySpan<byte> data, IpProtocol protocol = IpProtocol.Udp,
        IpAddr? src = null, IpAddr? dst = null)
    {
        var b = new byte[20 + data.Length];
        Ipv4Header.Write(b, src ?? Packets.V4A, dst ?? Packets.V4B, protocol, data.Length, id, 64, dontFragment: false,
            moreFragments: more, fragmentOffset: offset);
        data.CopyTo(b.AsSpan(20));
        return b;
    }

    /// <summary>An IPv6 fragment: fixed header, optional unfragmentable extension headers, fragment header, data.</summary>
    public static byte[] V6(uint id, int offset, bool more, ReadOnlySpan<byte> data, IpProtocol next = IpProtocol.Udp,
        IpAddr? src = null, params (IpProtocol Kind, int Length)[] before)
    {
        byte[] p = Packets.V6WithExtensions(IpProtocol.Ipv6Fragment, new byte[8 + data.Length], before);
        int at = p.Length - data.Length - 8;
        Ipv6Header.WriteFragmentHeader(p.AsSpan(at), next, offset, more, id);
        data.CopyTo(p.AsSpan(at + 8));
        if (src is { } s)
        {
            s.WriteTo(p.AsSpan(8));
        }
        return p;
    }

    /// <summary>Splits an IPv4 packet's payload at the given data offsets (multiples of 8).</summary>
    public static List<byte[]> SplitV4(byte[] packet, params int[] cuts)
    {
        Assert.True(Ipv4Header.TryParse(packet, out Ipv4Header h, out _));
        byte[] payload = h.Payload.ToArray();
        ushort id = h.Identification;
        var result = new List<byte[]>();
        int[] edges = [0, .. cuts, payload.Length];
        for (int i = 0; i + 1 < edges.Length; i++)
        {
            result.Add(V4(id, edges[i], i + 2 < edges.Length, payload.AsSpan(edges[i]..edges[i + 1]), h.Protocol));
        }
        return result;
    }

    public static ushort Checksum(byte[] v4) => BinaryPrimitives.ReadUInt16BigEndian(v4.AsSpan(10));
}
