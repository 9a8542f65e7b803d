namespace Smolmix.Tcp;

/// <summary>RFC 9293 connection states.</summary>
internal enum TcpState
{
    Closed,
    Listen,
    SynSent,
    SynReceived,
    Established,
    FinWait1,
    FinWait2,
    CloseWait,
    Closing,
    LastAck,
    TimeWait,
}
