namespace Smolmix.Tcp;

/// <summary>A diagnostics snapshot of one connection (like Linux's tcp_info).</summary>
internal readonly record struct TcpConnectionInfo(
    TcpState State, long Cwnd, long Ssthresh, long SrttUs, long RttVarUs, long MinRttUs,
    int ReceiveBudget, long SendWindow, long Retransmits, long SpuriousUndos, long BandwidthMax, int ReorderWindowMultiplier,
    long MinSrttUs = -1, long RtoUs = -1);
