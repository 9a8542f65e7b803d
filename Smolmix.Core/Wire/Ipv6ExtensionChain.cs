namespace Smolmix.Wire;

/// <summary>
/// Walks the extension-header chain of an IPv6 packet that <see cref="Ipv6Header.TryParse"/> has already
/// validated, to find where each header's Next Header field sits (needed to splice a fragment header in or out).
/// </summary>
internal static class Ipv6ExtensionChain
{
    /// <summary>Index of the Next Header byte in the fixed IPv6 header.</summary>
    public const int FixedNextHeaderIndex = 6;

    /// <summary>
    /// Returns the index of the Next Header byte that names the header starting at <paramref name="headerOffset"/>,
    /// or -1 if <paramref name="headerOffset"/> is not on the chain.
    /// </summary>
    public static int NextHeaderIndexFor(ReadOnlySpan<byte> packet, int headerOffset)
    {
        int nextIndex = FixedNextHeaderIndex;
        int offset = Ipv6Header.FixedLength;
        while (offset < headerOffset)
        {
            var kind = (IpProtocol)packet[nextIndex];
            if (!IsSkippable(kind) || offset + 2 > packet.Length)
            {
                return -1;
            }
            int len = HeaderLength(packet, offset, kind);
            nextIndex = offset;
            offset += len;
        }
        return offset == headerOffset ? nextIndex : -1;
    }

    /// <summary>
    /// Finds the end of the unfragmentable part (RFC 8200 §4.5): the IPv6 header plus a hop-by-hop header and
    /// any headers up to and including the last routing header. Also returns the index of the Next Header byte
    /// that names the first fragmentable header.
    /// </summary>
    /// <param name="packet">A packet that <see cref="Ipv6Header.TryParse"/> accepted, trimmed to its payload length.</param>
    /// <param name="nextHeaderIndex">Index of the Next Header byte to rewrite to "fragment".</param>
    /// <returns>Offset where the fragmentable part starts.</returns>
    public static int UnfragmentableEnd(ReadOnlySpan<byte> packet, out int nextHeaderIndex)
    {
        int nextIndex = FixedNextHeaderIndex;
        int offset = Ipv6Header.FixedLength;
        int unfragEnd = offset;
        nextHeaderIndex = nextIndex;
        while (true)
        {
            var next = (IpProtocol)packet[nextIndex];
            if (!IsSkippable(next) || offset + 2 > packet.Length)
            {
                return unfragEnd;
            }
            int len = HeaderLength(packet, offset, next);
            if (offset + len > packet.Length)
            {
                return unfragEnd;
            }
            nextIndex = offset;
            offset += len;
            if (next is IpProtocol.HopByHop or IpProtocol.Ipv6Routing)
            {
                unfragEnd = offset;
                nextHeaderIndex = nextIndex;
            }
        }
    }

    private static bool IsSkippable(IpProtocol p) =>
        p is IpProtocol.HopByHop or IpProtocol.Ipv6Routing or IpProtocol.Ipv6DestinationOptions or IpProtocol.Ipv6Fragment;

    private static int HeaderLength(ReadOnlySpan<byte> packet, int offset, IpProtocol kind) =>
        kind == IpProtocol.Ipv6Fragment ? Ipv6Header.FragmentHeaderLength : (packet[offset + 1] + 1) * 8;
}
