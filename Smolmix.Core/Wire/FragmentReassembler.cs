using System.Buffers.Binary;

namespace Smolmix.Wire;

/// <summary>
/// Reassembles IPv4 (RFC 791, RFC 815) and IPv6 (RFC 8200 §4.5) fragments into whole packets, with memory
/// strictly bounded: at most <c>maxDatagrams</c> datagrams, <c>maxFragmentsPerDatagram</c> held pieces each,
/// and <c>maxBytes</c> bytes of held data and headers in total.
/// </summary>
/// <remarks>
/// <para>Datagrams are keyed by (source, destination, protocol, id) for IPv4 and (source, destination, id) for
/// IPv6. An IPv6 fragment that overlaps another discards the whole datagram (RFC 5722), except an exact
/// duplicate, which is ignored (RFC 8200 §4.5). An IPv4 fragment may overlap data already held only if the
/// overlapping bytes agree; a conflicting overlap discards the whole datagram.</para>
/// <para>When a fragment would exceed the byte budget, or a new datagram the datagram limit, the oldest other
/// datagrams are evicted (counted in <see cref="Evicted"/>); if that is not enough the fragment is dropped with
/// <see cref="DropReason.ReassemblyFull"/>.</para>
/// <para>Not thread-safe: the stack drives it from one thread.</para>
/// </remarks>
internal sealed class FragmentReassembler
{
    /// <summary>Default byte budget (4 MiB).</summary>
    public const int DefaultMaxBytes = 4 * 1024 * 1024;

    /// <summary>Default limit on held pieces per datagram.</summary>
    public const int DefaultMaxFragmentsPerDatagram = 64;

    /// <summary>Default limit on datagrams under reassembly.</summary>
    public const int DefaultMaxDatagrams = 64;

    /// <summary>Largest IPv4 total length and IPv6 payload length.</summary>
    public const int MaxLength = 65535;

    /// <summary>Default IPv4 reassembly timeout (RFC 791 suggests 15 s upwards; Linux uses 30 s).</summary>
    public static readonly TimeSpan DefaultV4Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Default IPv6 reassembly timeout (RFC 8200 §4.5: 60 s).</summary>
    public static readonly TimeSpan DefaultV6Timeout = TimeSpan.FromSeconds(60);

    private readonly Dictionary<FragmentKey, FragmentedDatagram> _datagrams;
    private readonly int _maxBytes;
    private readonly int _maxFragments;
    private readonly int _maxDatagrams;
    private readonly TimeSpan _v4Timeout;
    private readonly TimeSpan _v6Timeout;
    private long _sequence;

    /// <summary>Creates a reassembler.</summary>
    /// <param name="maxBytes">Budget for held fragment data and headers, all datagrams together.</param>
    /// <param name="timeout">
    /// Reassembly timeout counted from a datagram's first fragment, for both families; null for the defaults
    /// (<see cref="DefaultV4Timeout"/>, <see cref="DefaultV6Timeout"/>).
    /// </param>
    /// <param name="maxFragmentsPerDatagram">Most pieces held for one datagram.</param>
    /// <param name="maxDatagrams">Most datagrams under reassembly at once.</param>
    public FragmentReassembler(int maxBytes = DefaultMaxBytes, TimeSpan? timeout = null,
        int maxFragmentsPerDatagram = DefaultMaxFragmentsPerDatagram, int maxDatagrams = DefaultMaxDatagrams)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxFragmentsPerDatagram);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxDatagrams);
        if (timeout is { } t && t <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), "Timeout must be positive.");
        }
        _maxBytes = maxBytes;
        _maxFragments = maxFragmentsPerDatagram;
        _maxDatagrams = maxDatagrams;
        _v4Timeout = timeout ?? DefaultV4Timeout;
        _v6Timeout = timeout ?? DefaultV6Timeout;
        _datagrams = new Dictionary<FragmentKey, FragmentedDatagram>(maxDatagrams);
    }

    /// <summary>Datagrams currently under reassembly.</summary>
    public int DatagramCount => _datagrams.Count;

    /// <summary>Bytes currently charged against the budget.</summary>
    public int BytesInUse { get; private set; }

    /// <summary>Datagrams evicted to make room (byte budget or datagram limit).</summary>
    public long Evicted { get; private set; }

    /// <summary>Datagrams dropped because their timeout passed.</summary>
    public long Expired { get; private set; }

    /// <summary>Datagrams discarded because of a bad fragment (overlap, inconsistent end, too many pieces).</summary>
    public long Discarded { get; private set; }

    /// <summary>
    /// Adds a fragment: a whole IPv4 or IPv6 packet carrying one.
    /// </summary>
    /// <param name="packet">The packet, starting at the IP header.</param>
    /// <param name="now">Monotonic time.</param>
    /// <param name="datagram">
    /// The reassembled packet (freshly allocated) when this fragment completed it. IPv4: the first fragment's
    /// header (options kept) with total length fixed, MF and offset cleared and checksum recomputed. IPv6: the
    /// first fragment's unfragmentable part with the fragment header removed and Next Header and Payload
    /// Length fixed. An IPv4 packet that is not a fragment, or an IPv6 atomic fragment (RFC 6946), is
    /// returned whole at once.
    /// </param>
    /// <param name="length">Length of <paramref name="datagram"/>, 0 when none.</param>
    /// <param name="reason">
    /// <see cref="DropReason.None"/> when the fragment completed a datagram, was buffered or was an exact
    /// duplicate; otherwise why it was rejected.
    /// </param>
    /// <returns>True when a whole packet is returned.</returns>
    public bool TryAdd(ReadOnlySpan<byte> packet, TimeSpan now, out byte[]? datagram, out int length,
        out DropReason reason)
    {
        datagram = null;
        length = 0;
        if (packet.IsEmpty)
        {
            reason = DropReason.Truncated;
            return false;
        }
        return (packet[0] >> 4) switch
        {
            4 => TryAddV4(packet, now, out datagram, out length, out reason),
            6 => TryAddV6(packet, now, out datagram, out length, out reason),
            _ => Fail(DropReason.BadVersion, out reason),
        };
    }

    /// <summary>Drops every datagram whose timeout has passed at <paramref name="now"/>.</summary>
    /// <returns>How many were dropped.</returns>
    public int Expire(TimeSpan now)
    {
        int n = 0;
        foreach (KeyValuePair<FragmentKey, FragmentedDatagram> e in _datagrams)
        {
            if (IsExpired(e.Value, now))
            {
                Remove(e.Key, e.Value);
                n++;
            }
        }
        Expired += n;
        return n;
    }

    /// <summary>Drops every datagram under reassembly.</summary>
    public void Clear()
    {
        _datagrams.Clear();
        BytesInUse = 0;
    }

    private bool TryAddV4(ReadOnlySpan<byte> packet, TimeSpan now, out byte[]? datagram, out int length,
        out DropReason reason)
    {
        datagram = null;
        length = 0;
        if (!Ipv4Header.TryParse(packet, out Ipv4Header ip, out reason))
        {
            return false;
        }
        if (!ip.IsFragment)
        {
            datagram = packet[..ip.TotalLength].ToArray();
            length = datagram.Length;
            return true;
        }
        var key = new FragmentKey(ip.Source, ip.Destination, (byte)ip.Protocol, ip.Identification);
        return Add(key, isV6: false, ip.HeaderBytes, 0, 0, ip.Payload, ip.FragmentOffset, ip.MoreFragments, now,
            out datagram, out length, out reason);
    }

    private bool TryAddV6(ReadOnlySpan<byte> packet, TimeSpan now, out byte[]? datagram, out int length,
        out DropReason reason)
    {
        datagram = null;
        length = 0;
        if (!Ipv6Header.TryParse(packet, out Ipv6Header ip, out reason))
        {
            return false;
        }
        if (!ip.IsFragment)
        {
            return Fail(DropReason.BadFragment, out reason);
        }
        ReadOnlySpan<byte> whole = ip.Packet;
        int fh = ip.FragmentHeaderOffset;
        int nextHeaderIndex = Ipv6ExtensionChain.NextHeaderIndexFor(whole, fh);
        if (nextHeaderIndex < 0)
        {
            return Fail(DropReason.BadOption, out reason); // Unreachable for a packet Ipv6Header accepted.
        }
        ReadOnlySpan<byte> unfragmentable = whole[..fh];
        ReadOnlySpan<byte> data = whole[(fh + Ipv6Header.FragmentHeaderLength)..];
        byte next = whole[fh];
        if (ip.FragmentOffset == 0 && !ip.MoreFragments)
        {
            // Atomic fragment (RFC 6946): a whole packet; never mixed with reassembly state.
            datagram = BuildV6(unfragmentable, nextHeaderIndex, next, data.Length);
            data.CopyTo(datagram.AsSpan(unfragmentable.Length));
            length = datagram.Length;
            return true;
        }
        var key = new FragmentKey(ip.Source, ip.Destination, 0, ip.FragmentId);
        return Add(key, isV6: true, unfragmentable, nextHeaderIndex, next, data, ip.FragmentOffset,
            ip.MoreFragments, now, out datagram, out length, out reason);
    }

    private bool Add(in FragmentKey key, bool isV6, ReadOnlySpan<byte> header, int nextHeaderIndex, byte nextHeader,
        ReadOnlySpan<byte> data, int offset, bool more, TimeSpan now, out byte[]? datagram, out int length,
        out DropReason reason)
    {
        datagram = null;
        length = 0;
        int end = offset + data.Length;

        // Checks on the fragment alone: it is dropped, any datagram it belongs to is kept.
        int maxEnd = isV6 ? MaxLength - (header.Length - Ipv6Header.FixedLength) : MaxLength - header.Length;
        if (end > maxEnd || (more && (data.Length == 0 || (data.Length & 7) != 0)))
        {
            return Fail(DropReason.BadFragment, out reason);
        }

        if (_datagrams.TryGetValue(key, out FragmentedDatagram? d) && IsExpired(d, now))
        {
            Remove(key, d);
            Expired++;
            d = null;
        }
        if (d is null)
        {
            if (_datagrams.Count >= _maxDatagrams)
            {
                Expire(now);
                while (_datagrams.Count >= _maxDatagrams && EvictOldest(except: null))
                {
                }
            }
            d = new FragmentedDatagram(isV6, now, _sequence++);
            _datagrams.Add(key, d);
        }

        // Checks against what is known of the datagram: failing one discards it.
        List<FragmentPiece> pieces = d.Pieces;
        int heldEnd = pieces.Count == 0 ? 0 : pieces[^1].End;
        bool badEnd = more
            ? d.End >= 0 && end > d.End
            : (d.End >= 0 && d.End != end) || heldEnd > end;
        if (badEnd)
        {
            return Discard(key, d, DropReason.BadFragment, out reason);
        }

        // Find the first held piece ending after our offset; walk the ones we overlap.
        int first = 0;
        while (first < pieces.Count && pieces[first].End <= offset)
        {
            first++;
        }
        int gaps = 0;
        int gapBytes = 0;
        int cursor = offset;
        for (int i = first; i < pieces.Count && pieces[i].Offset < end; i++)
        {
            FragmentPiece p = pieces[i];
            if (isV6)
            {
                // RFC 8200 §4.5 / RFC 5722: any overlap discards the datagram; an exact duplicate is ignored.
                if (p.Offset == offset && p.Data.Length == data.Length && data.SequenceEqual(p.Data))
                {
                    reason = DropReason.None;
                    return false;
                }
                return Discard(key, d, DropReason.BadFragment, out reason);
            }
            int from = Math.Max(p.Offset, offset);
            int to = Math.Min(p.End, end);
            if (!data[(from - offset)..(to - offset)].SequenceEqual(p.Data.AsSpan((from - p.Offset)..(to - p.Offset))))
            {
                return Discard(key, d, DropReason.BadFragment, out reason);
            }
            if (p.Offset > cursor)
            {
                gaps++;
                gapBytes += p.Offset - cursor;
            }
            cursor = Math.Max(cursor, p.End);
        }
        if (cursor < end)
        {
            gaps++;
            gapBytes += end - cursor;
        }

        if (pieces.Count + gaps > _maxFragments)
        {
            return Discard(key, d, DropReason.BadFragment, out reason);
        }

        bool takeHeader = offset == 0 && d.Header is null;
        int charge = gapBytes + (takeHeader ? header.Length : 0);
        while (BytesInUse + charge > _maxBytes)
        {
            if (!EvictOldest(except: d))
            {
                return Discard(key, d, DropReason.ReassemblyFull, out reason);
            }
        }

        // Commit.
        if (takeHeader)
        {
            d.Header = header.ToArray();
            d.NextHeaderIndex = nextHeaderIndex;
            d.NextHeader = nextHeader;
        }
        if (!more)
        {
            d.End = end;
        }
        cursor = offset;
        int at = first;
        while (cursor < end)
        {
            if (at < pieces.Count && pieces[at].Offset < end)
            {
                FragmentPiece p = pieces[at];
                if (p.Offset > cursor)
                {
                    pieces.Insert(at, new FragmentPiece(cursor, data[(cursor - offset)..(p.Offset - offset)].ToArray()));
                    at++;
                }
                cursor = Math.Max(cursor, p.End);
                at++;
            }
            else
            {
                pieces.Insert(at, new FragmentPiece(cursor, data[(cursor - offset)..].ToArray()));
                cursor = end;
            }
        }
        d.Received += gapBytes;
        d.Charged += charge;
        BytesInUse += charge;

        if (!d.IsComplete)
        {
            reason = DropReason.None;
            return false;
        }
        return Complete(key, d, out datagram, out length, out reason);
    }

    private bool Complete(in FragmentKey key, FragmentedDatagram d, out byte[]? datagram, out int length,
        out DropReason reason)
    {
        datagram = null;
        length = 0;
        byte[] header = d.Header!;
        int total = header.Length + d.End;
        if (d.IsV6 ? total - Ipv6Header.FixedLength > MaxLength : total > MaxLength)
        {
            return Discard(key, d, DropReason.BadFragment, out reason);
        }
        byte[] output;
        if (d.IsV6)
        {
            output = BuildV6(header, d.NextHeaderIndex, d.NextHeader, d.End);
        }
        else
        {
            output = new byte[total];
            header.CopyTo(output, 0);
            BinaryPrimitives.WriteUInt16BigEndian(output.AsSpan(2), (ushort)total);
            output[6] &= 0xC0; // Keep the reserved and DF bits; clear MF and the offset.
            output[7] = 0;
            output[10] = 0;
            output[11] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(output.AsSpan(10), InternetChecksum.Compute(output.AsSpan(0, header.Length)));
        }
        foreach (FragmentPiece p in d.Pieces)
        {
            p.Data.CopyTo(output, header.Length + p.Offset);
        }
        Remove(key, d);
        datagram = output;
        length = output.Length;
        reason = DropReason.None;
        return true;
    }

    /// <summary>Allocates an IPv6 packet: the unfragmentable part with Next Header and Payload Length fixed.</summary>
    private static byte[] BuildV6(ReadOnlySpan<byte> unfragmentable, int nextHeaderIndex, byte nextHeader, int dataLength)
    {
        var output = new byte[unfragmentable.Length + dataLength];
        unfragmentable.CopyTo(output);
        output[nextHeaderIndex] = nextHeader;
        BinaryPrimitives.WriteUInt16BigEndian(output.AsSpan(4), (ushort)(output.Length - Ipv6Header.FixedLength));
        return output;
    }

    private bool IsExpired(FragmentedDatagram d, TimeSpan now) =>
        now - d.Created >= (d.IsV6 ? _v6Timeout : _v4Timeout);

    private bool EvictOldest(FragmentedDatagram? except)
    {
        FragmentKey oldestKey = default;
        FragmentedDatagram? oldest = null;
        foreach (KeyValuePair<FragmentKey, FragmentedDatagram> e in _datagrams)
        {
            FragmentedDatagram c = e.Value;
            if (ReferenceEquals(c, except))
            {
                continue;
            }
            if (oldest is null || c.Created < oldest.Created || (c.Created == oldest.Created && c.Sequence < oldest.Sequence))
            {
                oldest = c;
                oldestKey = e.Key;
            }
        }
        if (oldest is null)
        {
            return false;
        }
        Remove(oldestKey, oldest);
        Evicted++;
        return true;
    }

    private bool Discard(in FragmentKey key, FragmentedDatagram d, DropReason why, out DropReason reason)
    {
        Remove(key, d);
        Discarded++;
        reason = why;
        return false;
    }

    private void Remove(in FragmentKey key, FragmentedDatagram d)
    {
        _datagrams.Remove(key);
        BytesInUse -= d.Charged;
    }

    private static bool Fail(DropReason why, out DropReason reason)
    {
        reason = why;
        return false;
    }
}
