using System.Buffers;
using System.Buffers.Binary;

namespace Smolmix.Wire;

/// <summary>
/// Splits an IPv4 packet with DF clear (RFC 791) or an IPv6 packet (RFC 8200 §4.5) into fragments that fit
/// an MTU. A packet that already fits is passed through unchanged (no IPv6 atomic fragments, RFC 8021).
/// </summary>
internal static class Fragmenter
{
    /// <summary>
    /// Fragments <paramref name="packet"/> to fit <paramref name="mtu"/>, handing each fragment to
    /// <paramref name="sink"/> in offset order.
    /// </summary>
    /// <param name="packet">A whole IPv4 or IPv6 packet.</param>
    /// <param name="mtu">Largest packet the link carries.</param>
    /// <param name="identification">
    /// IPv6 only: the fragment header's identification. IPv4 fragments keep the packet's own
    /// Identification field.
    /// </param>
    /// <param name="sink">Receives the fragments.</param>
    /// <param name="count">How many packets were handed to <paramref name="sink"/>.</param>
    /// <param name="reason">
    /// Why nothing was produced: the packet's parse error, or <see cref="DropReason.BadFragment"/> when it cannot
    /// be fragmented (IPv4 DF set, an IPv6 packet that is already a fragment, or an MTU too small to carry
    /// 8 bytes of data per fragment).
    /// </param>
    /// <returns>True when the packet was handed on, whole or in fragments.</returns>
    public static bool TryFragment(ReadOnlySpan<byte> packet, int mtu, uint identification, FragmentSink sink,
        out int count, out DropReason reason)
    {
        ArgumentNullException.ThrowIfNull(sink);
        count = 0;
        if (packet.IsEmpty)
        {
            reason = DropReason.Truncated;
            return false;
        }
        return (packet[0] >> 4) switch
        {
            4 => TryFragmentV4(packet, mtu, sink, out count, out reason),
            6 => TryFragmentV6(packet, mtu, identification, sink, out count, out reason),
            _ => Fail(DropReason.BadVersion, out reason),
        };
    }

    /// <summary>
    /// Fragments <paramref name="packet"/> to fit <paramref name="mtu"/> and returns the fragments as new arrays.
    /// </summary>
    /// <exception cref="ArgumentException">The packet is malformed or cannot be fragmented.</exception>
    public static List<byte[]> Fragment(ReadOnlySpan<byte> packet, int mtu, uint identification = 0)
    {
        var fragments = new List<byte[]>();
        if (!TryFragment(packet, mtu, identification, f => fragments.Add(f.ToArray()), out _, out DropReason reason))
        {
            throw new ArgumentException($"Cannot fragment the packet: {reason}.", nameof(packet));
        }
        return fragments;
    }

    private static bool TryFragmentV4(ReadOnlySpan<byte> packet, int mtu, FragmentSink sink, out int count,
        out DropReason reason)
    {
        count = 0;
        if (!Ipv4Header.TryParse(packet, out Ipv4Header ip, out reason))
        {
            return false;
        }
        ReadOnlySpan<byte> whole = packet[..ip.TotalLength];
        if (whole.Length <= mtu)
        {
            sink(whole);
            count = 1;
            return true;
        }
        ReadOnlySpan<byte> firstHeader = ip.HeaderBytes;
        Span<byte> laterHeader = stackalloc byte[60];
        int laterLength = CopiedOptionsHeader(firstHeader, laterHeader);
        laterHeader = laterHeader[..laterLength];
        int firstChunk = (mtu - firstHeader.Length) & ~7;
        int laterChunk = (mtu - laterLength) & ~7;
        if (ip.DontFragment || firstChunk < 8 || laterChunk < 8)
        {
            return Fail(DropReason.BadFragment, out reason);
        }
        ReadOnlySpan<byte> payload = ip.Payload;
        int baseOffset = ip.FragmentOffset;
        bool lastMore = ip.MoreFragments;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(mtu);
        try
        {
            for (int pos = 0; pos < payload.Length; count++)
            {
                ReadOnlySpan<byte> header = pos == 0 ? firstHeader : laterHeader;
                int n = Math.Min(pos == 0 ? firstChunk : laterChunk, payload.Length - pos);
                bool more = pos + n < payload.Length || lastMore;
                Span<byte> f = buffer.AsSpan(0, header.Length + n);
                header.CopyTo(f);
                payload.Slice(pos, n).CopyTo(f[header.Length..]);
                f[0] = (byte)(0x40 | (header.Length / 4));
                BinaryPrimitives.WriteUInt16BigEndian(f[2..], (ushort)f.Length);
                ushort flags = (ushort)(f[6] << 8 & 0x8000); // Reserved bit kept; DF is clear.
                flags |= (ushort)(((baseOffset + pos) / 8) & 0x1FFF);
                if (more)
                {
                    flags |= 0x2000;
                }
                BinaryPrimitives.WriteUInt16BigEndian(f[6..], flags);
                f[10] = 0;
                f[11] = 0;
                BinaryPrimitives.WriteUInt16BigEndian(f[10..], InternetChecksum.Compute(f[..header.Length]));
                sink(f);
                pos += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        reason = DropReason.None;
        return true;
    }

    /// <summary>
    /// Builds the header for fragments after the first: the fixed 20 bytes plus only the options whose
    /// "copied" flag is set (RFC 791), padded with end-of-list to a multiple of 4. Returns its length.
    /// </summary>
    private static int CopiedOptionsHeader(ReadOnlySpan<byte> header, Span<byte> destination)
    {
        header[..Ipv4Header.MinLength].CopyTo(destination);
        int n = Ipv4Header.MinLength;
        int i = Ipv4Header.MinLength;
        while (i < header.Length)
        {
            byte type = header[i];
            if (type == 0)
            {
                break;
            }
            if (type == 1)
            {
                i++;
                continue;
            }
            if (i + 1 >= header.Length || header[i + 1] < 2 || i + header[i + 1] > header.Length)
            {
                break; // Malformed: copy nothing more.
            }
            int len = header[i + 1];
            if ((type & 0x80) != 0)
            {
                header.Slice(i, len).CopyTo(destination[n..]);
                n += len;
            }
            i += len;
        }
        while ((n & 3) != 0)
        {
            destination[n++] = 0;
        }
        return n;
    }

    private static bool TryFragmentV6(ReadOnlySpan<byte> packet, int mtu, uint identification, FragmentSink sink,
        out int count, out DropReason reason)
    {
        count = 0;
        if (!Ipv6Header.TryParse(packet, out Ipv6Header ip, out reason))
        {
            return false;
        }
        if (ip.IsFragment)
        {
            return Fail(DropReason.BadFragment, out reason);
        }
        ReadOnlySpan<byte> whole = ip.Packet;
        if (whole.Length <= mtu)
        {
            sink(whole);
            count = 1;
            return true;
        }
        int unfragEnd = Ipv6ExtensionChain.UnfragmentableEnd(whole, out int nextHeaderIndex);
        var next = (IpProtocol)whole[nextHeaderIndex];
        int headerLength = unfragEnd + Ipv6Header.FragmentHeaderLength;
        int chunk = (mtu - headerLength) & ~7;
        if (chunk < 8)
        {
            return Fail(DropReason.BadFragment, out reason);
        }
        ReadOnlySpan<byte> fragmentable = whole[unfragEnd..];
        byte[] buffer = ArrayPool<byte>.Shared.Rent(mtu);
        try
        {
            for (int pos = 0; pos < fragmentable.Length; count++)
            {
                int n = Math.Min(chunk, fragmentable.Length - pos);
                bool more = pos + n < fragmentable.Length;
                Span<byte> f = buffer.AsSpan(0, headerLength + n);
                whole[..unfragEnd].CopyTo(f);
                f[nextHeaderIndex] = (byte)IpProtocol.Ipv6Fragment;
                BinaryPrimitives.WriteUInt16BigEndian(f[4..], (ushort)(f.Length - Ipv6Header.FixedLength));
                Ipv6Header.WriteFragmentHeader(f[unfragEnd..], next, pos, more, identification);
                fragmentable.Slice(pos, n).CopyTo(f[headerLength..]);
                sink(f);
                pos += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        reason = DropReason.None;
        return true;
    }

    private static bool Fail(DropReason why, out DropReason reason)
    {
        reason = why;
        return false;
    }
}
