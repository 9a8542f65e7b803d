using System.Net.Sockets;
using Smolmix.Wire;

namespace Smolmix.Tcp;

internal sealed partial class TcpConnection
{
    /// <summary>Bytes written but not yet acknowledged (including a FIN not yet acknowledged).</summary>
    public long UnacknowledgedBytes => _sndBuf.Count + ((_finQueued && !(_finSent && Seq.Gt(_sndUna, _finSeq))) ? 1 : 0);

    /// <summary>Queues application data; returns bytes accepted (0 when the send buffer is full).</summary>
    public int Write(ReadOnlySpan<byte> data)
    {
        if (_finQueued || State is TcpState.Closed or TcpState.TimeWait or TcpState.LastAck or TcpState.Closing)
        {
            throw new InvalidOperationException("The connection can no longer send.");
        }
        int n = Math.Min(data.Length, SendSpace);
        if (n <= 0)
        {
            return 0;
        }
        int added = _sndBuf.Append(data[..n]);
        _stack.Metrics.TcpBytesQueued(added);
        NoteAppIo();
        if (IsSynchronized)
        {
            _stack.HoldClock(); // one clock reading for every segment this write sends
            try
            {
                Output();
                ArmTimer();
            }
            finally
            {
                _stack.ReleaseClock();
            }
        }
        return added;
    }

    /// <summary>Reads buffered data; returns 0 when nothing is readable.</summary>
    public int Read(Span<byte> destination)
    {
        int before = CurrentWindow();
        int n = _rcvBuf.Read(destination);
        if (n > 0)
        {
            NoteAppIo();
        }
        if (n > 0 && IsSynchronized && !_finReceived)
        {
            // Window update when the read opened the window meaningfully (RFC 9293 §3.8.6.2.2).
            int after = CurrentWindow();
            long advertised = (long)(uint)(_rcvAdvEdge - _rcvNxt);
            if (after - advertised >= Math.Min(_rcvBudget / 2, 2 * Smss) && after > before)
            {
                _ackNow = true;
                _stack.HoldClock();
                try
                {
                    Output();
                    ArmTimer();
                }
                finally
                {
                    _stack.ReleaseClock();
                }
            }
        }
        return n;
    }

    /// <summary>Half-close: send FIN after the queued data.</summary>
    public void ShutdownWrite()
    {
        if (_finQueued)
        {
            return;
        }
        switch (State)
        {
            case TcpState.SynSent:
            case TcpState.SynReceived:
            case TcpState.Established:
                _finQueued = true;
                if (State == TcpState.Established)
                {
                    SetState(TcpState.FinWait1);
                }
                break;
            case TcpState.CloseWait:
                _finQueued = true;
                SetState(TcpState.LastAck);
                break;
            default:
                return;
        }
        if (IsSynchronized)
        {
            Output();
            ArmTimer();
        }
    }

    /// <summary>Graceful close by the application: no more reads or writes; FIN after queued data.</summary>
    public void Close()
    {
        AppClosed = true;
        if (State is TcpState.SynSent or TcpState.Listen)
        {
            Terminate(SocketError.OperationAborted);
            return;
        }
        bool unread = _rcvBuf.Count > 0;
        _rcvBuf.Consume(_rcvBuf.Count);
        if (unread && State is TcpState.Established or TcpState.CloseWait)
        {
            // RFC 9293 §3.10.4 / Linux: closing with unread data aborts with RST.
            Abort();
            return;
        }
        ShutdownWrite();
        if (State == TcpState.FinWait2)
        {
            _closeDeadline = Now + _o.FinWait2Timeout.Ticks / 10;
            ArmTimer();
        }
    }

    /// <summary>The stack can no longer reach the network (its device closed): end at once, nothing sent.</summary>
    public void FailFromStack(SocketError error)
    {
        AppClosed = true;
        Terminate(error);
    }

    /// <summary>Abortive close: RST and discard everything.</summary>
    public void Abort()
    {
        AppClosed = true;
        // RFC 9293 §3.10.5: CLOSING, LAST-ACK and TIME-WAIT just delete the TCB (as Linux does).
        if (State is TcpState.SynReceived or TcpState.Established or TcpState.CloseWait or TcpState.FinWait1 or TcpState.FinWait2)
        {
            _stack.SendRst(Id, _sndNxt, _rcvNxt, true);
        }
        Terminate(SocketError.ConnectionAborted);
    }

    /// <summary>True if <paramref name="seq"/> quoted in an ICMP error lies in SND.UNA..SND.NXT (RFC 5927).</summary>
    public bool IsPlausibleIcmpSeq(uint seq) => Seq.Le(_sndUna, seq) && Seq.Le(seq, _sndNxt);

    /// <summary>Splits unSACKed segments larger than the current data MSS and marks them lost; true if any.</summary>
    private bool ResizeInFlight()
    {
        int mss = DataMss;
        bool any = false;
        for (int i = 0; i < _rtx.Count; i++)
        {
            var s = _rtx[i];
            if (s.Syn || s.Sacked || s.DataLength <= mss)
            {
                continue;
            }
            any = true;
            if (!s.Lost)
            {
                s.Lost = true;
                _lostBytes += s.SeqLength;
            }
            var tail = _rtx.Rent();
            tail.Seq = s.Seq + (uint)mss;
            tail.SeqLength = s.SeqLength - mss;
            tail.DataLength = s.DataLength - mss;
            tail.Fin = s.Fin;
            tail.XmitTime = s.XmitTime;
            tail.XmitCount = s.XmitCount;
            tail.Lost = true;
            tail.FirstTsVal = s.FirstTsVal;
            _rtx.Insert(i + 1, tail);
            s.SeqLength = mss;
            s.DataLength = mss;
            s.Fin = false;
        }
        return any;
    }

    /// <summary>An ICMP error concerning this connection (RFC 1122 §4.2.3.9, RFC 5461).</summary>
    public void OnIcmpError(bool portUnreachable, int? mtu)
    {
        if (mtu is int m && m >= 576)
        {
            int newMss = m - (Id.RemoteAddress.IsV6 ? 60 : 40);
            if (newMss < Smss && newMss >= 64)
            {
                Smss = newMss;
                _cc.Mss = newMss;
                _stack.Metrics.TcpPmtuUpdate();
                // Segments in flight that are too big were dropped (DF): re-cut them at the new size and send
                // them again now, as Linux's tcp_simple_retransmit does. Not a congestion signal.
                if (IsSynchronized && ResizeInFlight())
                {
                    Output();
                    ArmTimer();
                }
            }
            return;
        }
        if (portUnreachable && State == TcpState.SynSent)
        {
            // A hard error while connecting: the port is closed (soft when established, RFC 5461).
            Terminate(SocketError.ConnectionRefused);
        }
    }
}
