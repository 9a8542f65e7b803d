namespace Smolmix.Tcp;

/// <summary>One transmitted, not yet cumulatively acknowledged segment on the retransmission queue.</summary>
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

    /// <summary>One past the last sequence number.</summary>
    public uint End => Seq + (uint)SeqLength;
}
