namespace Smolmix.Tcp;

/// <summary>
/// Tracks out-of-order byte ranges received beyond RCV.NXT, as offsets relative to RCV.NXT.
/// No limit on the number of gaps other than the window itself (ranges merge as they touch).
/// </summary>
internal sealed class ReceiveAssembler
{
    // Sorted, non-overlapping, non-adjacent [Start, End) offsets from RCV.NXT.
    private readonly List<(int Start, int End)> _ranges = new();

    /// <summary>True when the range list holds a backing array (it has none until the first hole).</summary>
    public bool IsGrown => _ranges.Capacity > 0;

    /// <summary>Bytes of the range list's backing array.</summary>
    public int SlotBytes => _ranges.Capacity * 8;

    /// <summary>Drops the range list's backing array when no range is held; returns the bytes released.</summary>
    public int ShrinkIfEmpty()
    {
        if (_ranges.Count != 0 || !IsGrown)
        {
            return 0;
        }
        int released = SlotBytes;
        _ranges.Capacity = 0;
        return released - SlotBytes;
    }

    /// <summary>Number of disjoint out-of-order ranges held.</summary>
    public int RangeCount => _ranges.Count;

    /// <summary>Bytes held out of order.</summary>
    public int Bytes { get; private set; }

    /// <summary>Gets range <paramref name="i"/>.</summary>
    public (int Start, int End) this[int i] => _ranges[i];

    /// <summary>True if [start, end) is entirely held already.</summary>
    public bool Contains(int start, int end)
    {
        foreach (var r in _ranges)
        {
            if (r.Start <= start && end <= r.End)
            {
                return true;
            }
            if (r.Start > start)
            {
                break;
            }
        }
        return false;
    }

    /// <summary>Adds [start, end) (start &gt; 0); returns the merged range that now contains it.</summary>
    public (int Start, int End) Add(int start, int end)
    {
        int i = 0;
        while (i < _ranges.Count && _ranges[i].End < start)
        {
            i++;
        }
        int s = start, e = end;
        int j = i;
        while (j < _ranges.Count && _ranges[j].Start <= end)
        {
            s = Math.Min(s, _ranges[j].Start);
            e = Math.Max(e, _ranges[j].End);
            Bytes -= _ranges[j].End - _ranges[j].Start;
            j++;
        }
        _ranges.RemoveRange(i, j - i);
        _ranges.Insert(i, (s, e));
        Bytes += e - s;
        return (s, e);
    }

    /// <summary>
    /// RCV.NXT advanced by <paramref name="advance"/> bytes of in-order data. Returns how many
    /// additional contiguous bytes became in order from held ranges (the caller advances again by that).
    /// </summary>
    public int Advance(int advance)
    {
        int extra = 0;
        for (int i = 0; i < _ranges.Count; i++)
        {
            _ranges[i] = (_ranges[i].Start - advance, _ranges[i].End - advance);
        }
        while (_ranges.Count > 0 && _ranges[0].Start <= 0)
        {
            var r = _ranges[0];
            _ranges.RemoveAt(0);
            Bytes -= r.End - r.Start;
            if (r.End > 0)
            {
                extra = r.End;
                for (int i = 0; i < _ranges.Count; i++)
                {
                    _ranges[i] = (_ranges[i].Start - extra, _ranges[i].End - extra);
                }
                break;
            }
        }
        return extra;
    }

    /// <summary>Drops everything.</summary>
    public void Clear()
    {
        _ranges.Clear();
        Bytes = 0;
    }
}
