namespace Smolmix.Tcp;

/// <summary>
/// One transmitted, not yet cumulatively acknowledged segment on the retransmission queue. Instances are
/// recycled by their <see cref="RetransmitQueue"/> (<see cref="RetransmitQueue.Rent"/>): a segment removed from
/// the queue may be handed out again at the next send, so nothing keeps a reference to one past the removal.
/// </summary>
internal sealed class SentSegment
{
    /// <summary>First sequence number (the SYN's, for a SYN segment).</summary>
    public uint Seq;

    /// <summary>Sequence space consumed: data bytes plus 1 for SYN and 1 for FIN.</summary>
    public int SeqLength;

    /// <summary>Data bytes carried.</summary>
    public int DataLength;

    /// <summary>Carries SYN.</summary>
    public bool Syn;

    /// <summary>Carries FIN.</summary>
    public bool Fin;

    /// <summary>Time of the latest transmission (µs).</summary>
    public long XmitTime;

    /// <summary>Times transmitted.</summary>
    public int XmitCount;

    /// <summary>Selectively acknowledged.</summary>
    public bool Sacked;

    /// <summary>Marked lost and not yet retransmitted since.</summary>
    public bool Lost;

    /// <summary>TSval of the first transmission; reused by reordering-driven retransmissions.</summary>
    public uint FirstTsVal;

    /// <summary>Next segment on the queue's free list (only while recycled).</summary>
    public SentSegment? NextFree;

    /// <summary>One past the last sequence number.</summary>
    public uint End => Seq + (uint)SeqLength;

    /// <summary>Clears every field (a recycled segment starts as a new one).</summary>
    public void Reset()
    {
        Seq = 0;
        SeqLength = 0;
        DataLength = 0;
        Syn = false;
        Fin = false;
        XmitTime = 0;
        XmitCount = 0;
        Sacked = false;
        Lost = false;
        FirstTsVal = 0;
        NextFree = null;
    }
}
