namespace Smolmix.Tcp;

/// <summary>
/// The retransmission queue: sent, not yet cumulatively acknowledged segments in sequence order, in a
/// growable circular array. Removing acknowledged segments from the front is O(count removed), and a
/// binary search finds the first segment at or after a sequence number, so SACK processing does not
/// walk a multi-megabyte window segment by segment.
/// </summary>
/// <remarks>
/// Segments are recycled: <see cref="Rent"/> hands out a segment that <see cref="RemoveRange"/> or
/// <see cref="Clear"/> took off the queue earlier (a free list of at most <see cref="MaxFree"/>), so a steady
/// transfer allocates none. The rule that makes this safe: once a segment leaves the queue, no caller uses the
/// reference it had (all of them run under the stack lock and read what they need before removing).
/// </remarks>
internal sealed class RetransmitQueue
{
    /// <summary>Slots the queue starts with (and returns to when it shrinks).</summary>
    private const int InitialSlots = 64;

    /// <summary>Most segments kept for reuse (the rest go to the garbage collector).</summary>
    internal const int MaxFree = 16384;

    private SentSegment[] _items = new SentSegment[InitialSlots];
    private int _head;
    private SentSegment? _free;
    private int _freeCount;

    /// <summary>Segments held.</summary>
    public int Count { get; private set; }

    /// <summary>True when the slot array has grown past its initial size or more than a few recycled segments are kept.</summary>
    public bool IsGrown => _items.Length > InitialSlots || _freeCount > KeptWhenIdle;

    /// <summary>Recycled segments an idle connection may keep (a handshake's and a small exchange's worth).</summary>
    private const int KeptWhenIdle = 16;

    /// <summary>Bytes of the slot array (references; the segments themselves are counted apart).</summary>
    public int SlotBytes => _items.Length * IntPtr.Size;

    /// <summary>
    /// When the queue is empty, returns a grown slot array to the initial size and lets the recycled
    /// segments go; returns the slot-array bytes released (the segment objects are not counted).
    /// </summary>
    public int ShrinkIfEmpty()
    {
        if (Count != 0 || !IsGrown)
        {
            return 0;
        }
        int released = SlotBytes;
        _items = new SentSegment[InitialSlots];
        _head = 0;
        _free = null;
        _freeCount = 0;
        return released - SlotBytes;
    }

    /// <summary>Segment <paramref name="index"/> from the front (sequence order).</summary>
    public SentSegment this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count)
            {
                throw new ArgumentOutOfRangeException(nameof(index));
            }
            return _items[(_head + index) & (_items.Length - 1)];
        }
    }

    /// <summary>Appends a segment (it must follow the last one in sequence space).</summary>
    public void Add(SentSegment segment)
    {
        if (Count == _items.Length)
        {
            var bigger = new SentSegment[_items.Length * 2];
            for (int i = 0; i < Count; i++)
            {
                bigger[i] = _items[(_head + i) & (_items.Length - 1)];
            }
            _items = bigger;
            _head = 0;
        }
        _items[(_head + Count) & (_items.Length - 1)] = segment;
        Count++;
    }

    /// <summary>Inserts a segment at <paramref name="index"/> (O(count); used only when re-cutting segments).</summary>
    public void Insert(int index, SentSegment segment)
    {
        if ((uint)index > (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index));
        }
        Add(segment); // grow if needed; the slot at the end is then shifted into place
        for (int i = Count - 1; i > index; i--)
        {
            _items[(_head + i) & (_items.Length - 1)] = _items[(_head + i - 1) & (_items.Length - 1)];
        }
        _items[(_head + index) & (_items.Length - 1)] = segment;
    }

    /// <summary>Segments on the free list (tests).</summary>
    internal int FreeCount => _freeCount;

    /// <summary>A blank segment, recycled when one is free; the caller fills it and <see cref="Add"/>s it.</summary>
    public SentSegment Rent()
    {
        var s = _free;
        if (s is null)
        {
            return new SentSegment();
        }
        _free = s.NextFree;
        _freeCount--;
        s.Reset();
        return s;
    }

    /// <summary>
    /// Removes <paramref name="count"/> segments; only removal from the front is supported. The removed segments
    /// are recycled: the caller must not use them afterwards.
    /// </summary>
    public void RemoveRange(int index, int count)
    {
        if (index != 0 || count < 0 || count > Count)
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }
        for (int i = 0; i < count; i++)
        {
            int slot = (_head + i) & (_items.Length - 1);
            Recycle(_items[slot]);
            _items[slot] = null!;
        }
        _head = (_head + count) & (_items.Length - 1);
        Count -= count;
    }

    /// <summary>Removes everything; the segments are recycled (the caller must not use them afterwards).</summary>
    public void Clear()
    {
        for (int i = 0; i < Count; i++)
        {
            Recycle(_items[(_head + i) & (_items.Length - 1)]);
        }
        Array.Clear(_items);
        _head = 0;
        Count = 0;
    }

    private void Recycle(SentSegment s)
    {
        if (_freeCount >= MaxFree)
        {
            return;
        }
        s.NextFree = _free;
        _free = s;
        _freeCount++;
    }

    /// <summary>Index of the first segment whose end is after <paramref name="seq"/> (Count if none).</summary>
    public int IndexOfFirstEndingAfter(uint seq)
    {
        int lo = 0, hi = Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (Seq.Le(this[mid].End, seq))
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    /// <summary>Enumerates front to back.</summary>
    public Enumerator GetEnumerator() => new(this);

    /// <summary>Allocation-free enumerator.</summary>
    public struct Enumerator
    {
        private readonly RetransmitQueue _q;
        private int _i;

        internal Enumerator(RetransmitQueue q)
        {
            _q = q;
            _i = -1;
        }

        /// <summary>Current segment.</summary>
        public readonly SentSegment Current => _q[_i];

        /// <summary>Advances.</summary>
        public bool MoveNext() => ++_i < _q.Count;
    }
}
