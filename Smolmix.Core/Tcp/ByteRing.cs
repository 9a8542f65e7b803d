namespace Smolmix.Tcp;

/// <summary>
/// A ring of bytes that grows by doubling up to a cap, and can give its grown buffer back when it is
/// empty. Holds a readable region starting at the ring's head; bytes beyond it may be written at an
/// offset (out-of-order data) before they become readable. Not thread-safe: the stack lock guards it.
/// </summary>
internal sealed class ByteRing
{
    private readonly int _initialCapacity;
    private readonly int _firstGrowth;
    private byte[] _buf;
    private int _head;

    /// <param name="initialCapacity">The first allocation (small, so an idle owner costs little).</param>
    /// <param name="maxCapacity">The growth cap.</param>
    /// <param name="firstGrowth">The least size the ring grows to once data needs more room (so a busy owner does not climb through many doublings).</param>
    public ByteRing(int initialCapacity, int maxCapacity, int firstGrowth = 0)
    {
        MaxCapacity = Math.Max(maxCapacity, 16);
        _initialCapacity = Math.Clamp(initialCapacity, 16, MaxCapacity);
        _buf = new byte[_initialCapacity];
        _firstGrowth = firstGrowth;
    }

    /// <summary>Bytes currently readable at the front.</summary>
    public int Count { get; private set; }

    /// <summary>Current allocated capacity.</summary>
    public int Capacity => _buf.Length;

    /// <summary>Upper bound for growth.</summary>
    public int MaxCapacity { get; private set; }

    /// <summary>True when the buffer has grown past its initial size.</summary>
    public bool IsGrown => _buf.Length > _initialCapacity;

    /// <summary>Free bytes after the readable region within current capacity.</summary>
    public int Free => _buf.Length - Count;

    /// <summary>Raises the growth cap (receive-buffer autotuning).</summary>
    public void RaiseMaxCapacity(int max) => MaxCapacity = Math.Max(MaxCapacity, max);

    /// <summary>Ensures capacity for <paramref name="needed"/> bytes in total (readable + beyond), up to the cap.</summary>
    public void EnsureCapacity(int needed)
    {
        if (needed <= _buf.Length)
        {
            return;
        }
        int cap = Math.Max(_buf.Length, Math.Min(_firstGrowth, MaxCapacity));
        while (cap < needed && cap < MaxCapacity)
        {
            cap = (int)Math.Min((long)cap * 2, MaxCapacity);
        }
        if (cap == _buf.Length)
        {
            return;
        }
        var nb = new byte[cap];
        // Copy the whole old ring linearised (readable bytes and any out-of-order bytes past them).
        int first = Math.Min(_buf.Length - _head, _buf.Length);
        Array.Copy(_buf, _head, nb, 0, first);
        Array.Copy(_buf, 0, nb, first, _head);
        _buf = nb;
        _head = 0;
    }

    /// <summary>
    /// Gives a grown buffer back when nothing is readable: the ring returns to its initial size and keeps its
    /// cap, so it grows again on demand. The caller guarantees that no bytes are held beyond the readable
    /// region (no out-of-order data), which the ring cannot see. Returns the bytes released (0 if none).
    /// </summary>
    public int ShrinkIfEmpty()
    {
        if (Count != 0 || !IsGrown)
        {
            return 0;
        }
        int released = _buf.Length - _initialCapacity;
        _buf = new byte[_initialCapacity];
        _head = 0;
        return released;
    }

    /// <summary>Appends bytes at the end of the readable region; returns how many fit.</summary>
    public int Append(ReadOnlySpan<byte> data)
    {
        EnsureCapacity(Count + data.Length);
        int n = Math.Min(data.Length, Free);
        WriteAt(Count, data[..n]);
        Count += n;
        return n;
    }

    /// <summary>Writes bytes at <paramref name="offset"/> from the start (may be beyond Count). Caller ensures capacity.</summary>
    public void WriteAt(int offset, ReadOnlySpan<byte> data)
    {
        int pos = (_head + offset) % _buf.Length;
        int first = Math.Min(data.Length, _buf.Length - pos);
        data[..first].CopyTo(_buf.AsSpan(pos));
        data[first..].CopyTo(_buf);
    }

    /// <summary>Copies bytes at <paramref name="offset"/> from the start into <paramref name="destination"/>.</summary>
    public void CopyTo(int offset, Span<byte> destination)
    {
        int pos = (_head + offset) % _buf.Length;
        int first = Math.Min(destination.Length, _buf.Length - pos);
        _buf.AsSpan(pos, first).CopyTo(destination);
        _buf.AsSpan(0, destination.Length - first).CopyTo(destination[first..]);
    }

    /// <summary>Marks <paramref name="n"/> more bytes (already written past Count) as readable.</summary>
    public void Commit(int n) => Count += n;

    /// <summary>Removes <paramref name="n"/> bytes from the front.</summary>
    public void Consume(int n)
    {
        _head = (_head + n) % _buf.Length;
        Count -= n;
    }

    /// <summary>Reads and removes up to destination.Length bytes; returns the count.</summary>
    public int Read(Span<byte> destination)
    {
        int n = Math.Min(destination.Length, Count);
        CopyTo(0, destination[..n]);
        Consume(n);
        return n;
    }
}
