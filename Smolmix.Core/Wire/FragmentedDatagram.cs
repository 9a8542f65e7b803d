namespace Smolmix.Wire;

/// <summary>The state of one datagram under reassembly (owned by <see cref="FragmentReassembler"/>).</summary>
internal sealed class FragmentedDatagram
{
    /// <summary>Creates the state for a datagram whose first fragment arrived at <paramref name="created"/>.</summary>
    public FragmentedDatagram(bool isV6, TimeSpan created, long sequence)
    {
        IsV6 = isV6;
        Created = created;
        Sequence = sequence;
    }

    /// <summary>True for IPv6.</summary>
    public bool IsV6 { get; }

    /// <summary>When the first fragment arrived (timeouts run from here).</summary>
    public TimeSpan Created { get; }

    /// <summary>Creation order, to break ties between equal <see cref="Created"/> times.</summary>
    public long Sequence { get; }

    /// <summary>
    /// The header taken from the offset-0 fragment, or null until it arrives: the IPv4 header with options,
    /// or the IPv6 unfragmentable part.
    /// </summary>
    public byte[]? Header { get; set; }

    /// <summary>IPv6: index in <see cref="Header"/> of the Next Header byte that named the fragment header.</summary>
    public int NextHeaderIndex { get; set; }

    /// <summary>IPv6: the Next Header value from the offset-0 fragment's fragment header.</summary>
    public byte NextHeader { get; set; }

    /// <summary>Length of the fragmentable part once the last fragment is known, else -1.</summary>
    public int End { get; set; } = -1;

    /// <summary>Held data, sorted by offset, never overlapping.</summary>
    public List<FragmentPiece> Pieces { get; } = new();

    /// <summary>Sum of the lengths of <see cref="Pieces"/>.</summary>
    public int Received { get; set; }

    /// <summary>Bytes charged against the reassembler's budget (pieces plus header).</summary>
    public int Charged { get; set; }

    /// <summary>True when the header, the end and every byte before it are present.</summary>
    public bool IsComplete => Header is not null && End >= 0 && Received == End;
}
