using System.Net.Sockets;
using Smolmix.Wire;

namespace Smolmix.Tcp;

internal sealed partial class TcpConnection
{
    /// <summary>Processes one inbound segment for this connection (RFC 9293 §3.10.7).</summary>
    public void OnSegment(ref TcpSegmentIn seg)
    {
        _lastActivityUs = Now;
        _keepaliveSent = 0;
        if (State == TcpState.SynSent)
        {
            OnSegmentSynSent(ref seg);
            ArmTimer();
            return;
        }
        if (State == TcpState.Closed)
        {
            return;
        }
        if (State == TcpState.SynReceived && seg.Syn && !seg.HasAck && !seg.Rst && seg.Seq == _irs)
        {
            // The peer retransmitted its SYN, so our SYN-ACK was lost: repeat it now, echoing this SYN's
            // timestamp (as Linux's tcp_check_req). The acceptability check below would answer with a bare
            // ACK, which a peer in SYN-SENT ignores, leaving it to wait for our own SYN-ACK timer.
            if (_tsOk && seg.Options.HasTimestamps)
            {
                _tsRecent = seg.Options.TsVal;
            }
            SendSyn();
            ArmTimer();
            return;
        }

        // A retransmitted SYN lies before RCV.NXT, so it would fail the acceptability test below: repeat the
        // SYN-ACK for it instead of a bare ACK (as Linux does for a request socket).
        if (State == TcpState.SynReceived && seg.Syn && !seg.HasAck && !seg.Rst && seg.Seq == _irs)
        {
            SendSyn();
            ArmTimer();
            return;
        }

        // 1. Sequence acceptability, with PAWS (RFC 7323 §5).
        // A pure ACK that merely arrived out of order (the mixnet reorders everything) is exempt, as in
        // Linux's tcp_disordered_ack: it carries no data to protect and answering it would storm.
        bool pureAck = seg.Payload.Length == 0 && (seg.Flags & (TcpFlags.Syn | TcpFlags.Fin | TcpFlags.Rst)) == 0;
        // PAWS tolerance: the sender's clock ticks in ms and the mixnet reorders by up to seconds, so a
        // segment is only "old" when its TSval lags TS.Recent by more than 2·SRTT (at least 200 ms, at most
        // 5 s) — far less than the time the sequence space takes to wrap below multi-Gbit/s rates.
        long pawsSlackMs = Math.Clamp(2 * _rtt.SrttUs / 1000, 200, 5000);
        if (_tsOk && seg.Options.HasTimestamps && !seg.Rst && !pureAck && (int)(seg.Options.TsVal - _tsRecent) < -pawsSlackMs
            && State != TcpState.SynReceived)
        {
            _stack.Metrics.Drop(DropReason.TcpUnacceptable);
            SendAck();
            return;
        }
        if (!IsAcceptable(ref seg))
        {
            if (!seg.Rst)
            {
                // An out-of-window segment (including a duplicate): answer with an ACK, with D-SACK for old data.
                if (seg.Payload.Length > 0 && Seq.Lt(seg.Seq, _rcvNxt) && _sackOk)
                {
                    uint end = seg.Seq + (uint)seg.Payload.Length;
                    _dsack = new SackBlock(seg.Seq, Seq.Min(end, _rcvNxt));
                }
                if (State == TcpState.TimeWait && seg.Fin)
                {
                    _closeDeadline = Now + _o.TimeWait.Ticks / 10;
                }
                SendAck();
            }
            _stack.Metrics.Drop(DropReason.TcpUnacceptable);
            ArmTimer();
            return;
        }

        // 2. RST (RFC 5961 §3).
        if (seg.Rst)
        {
            if (seg.Seq == _rcvNxt)
            {
                if (State == TcpState.TimeWait)
                {
                    return; // RFC 1337: ignore RST in TIME-WAIT.
                }
                Terminate(State == TcpState.SynReceived && Listener is null ? SocketError.ConnectionRefused : SocketError.ConnectionReset);
            }
            else
            {
                SendAck(); // challenge ACK
            }
            return;
        }

        // 3. SYN in a synchronized state (RFC 5961 §4): challenge ACK.
        if (seg.Syn)
        {
            if (State == TcpState.SynReceived && seg.Seq == _irs)
            {
                SendSyn(); // retransmitted SYN: repeat the SYN-ACK
                ArmTimer();
                return;
            }
            SendAck();
            return;
        }

        // 4. ACK.
        if (!seg.HasAck)
        {
            return;
        }
        if (seg.Options.HasTimestamps && _tsOk && Seq.Le(seg.Seq, _rcvNxt))
        {
            // RFC 7323 §4.3: update TS.Recent when the segment covers Last.ACK.sent.
            if ((int)(seg.Options.TsVal - _tsRecent) >= 0)
            {
                _tsRecent = seg.Options.TsVal;
            }
        }
        if (State == TcpState.SynReceived)
        {
            if (Seq.Gt(seg.Ack, _sndUna) && Seq.Le(seg.Ack, _sndNxt))
            {
                TakeRttSampleForSyn(seg.Options);
                _sndUna = _iss + 1;
                _rtx.Clear();
                _rtxDeadline = long.MaxValue;
                _connectDeadline = long.MaxValue;
                _rtt.Backoff = 0;
                _sndWnd = (long)seg.Window << _sndWscale;
                _maxSndWnd = _sndWnd;
                _sndWl1 = seg.Seq;
                _sndWl2 = seg.Ack;
                SetState(TcpState.Established);
                StartRound();
                Listener?.OnConnectionEstablished(this);
                Listener = null;
            }
            else
            {
                _stack.SendRst(Id, seg.Ack, 0, false);
                return;
            }
        }
        if (Seq.Gt(seg.Ack, _sndNxt))
        {
            // Acknowledges something never sent: ACK and drop (RFC 9293; RFC 5961 §5).
            SendAck();
            return;
        }
        if (Seq.Lt(seg.Ack, _sndUna - (uint)Math.Min(_maxSndWnd, int.MaxValue)))
        {
            SendAck(); // RFC 5961 §5: too old an ACK
            return;
        }
        ProcessAck(ref seg);
        if (State == TcpState.Closed)
        {
            return;
        }

        // 5. Data and FIN.
        if (State is TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2)
        {
            if (seg.Payload.Length > 0)
            {
                if (_governor is not null && _tsOk && seg.Options.HasTimestamps && seg.Options.TsEcr != 0)
                {
                    _governor.OnRttSample((long)(int)(TsNow - seg.Options.TsEcr) * 1000);
                }
                ProcessData(seg.Seq, seg.Payload);
            }
            if (seg.Fin)
            {
                uint finSeq = seg.Seq + (uint)seg.Payload.Length;
                _peerFinKnown = true;
                _peerFinSeq = finSeq;
                _ackNow = true;
            }
            TryConsumeFin();
        }
        else if (seg.Fin || seg.Payload.Length > 0)
        {
            _ackNow = true; // retransmitted FIN or data after our close: re-ACK
            if (State == TcpState.TimeWait)
            {
                _closeDeadline = Now + _o.TimeWait.Ticks / 10;
            }
        }
        OutputOrDefer();
    }

    private bool IsAcceptable(ref TcpSegmentIn seg)
    {
        long wnd = (long)(uint)(_rcvAdvEdge - _rcvNxt);
        if (wnd < 0 || wnd > int.MaxValue)
        {
            wnd = 0;
        }
        int len = seg.SeqLength;
        if (len == 0)
        {
            return wnd == 0 ? seg.Seq == _rcvNxt : Seq.Le(_rcvNxt, seg.Seq) && Seq.Lt(seg.Seq, _rcvNxt + (uint)wnd);
        }
        if (wnd == 0)
        {
            // Zero window: accept nothing but still process ACKs on in-order segments.
            if (seg.Seq == _rcvNxt)
            {
                seg.Payload = default;
                seg.Flags &= ~TcpFlags.Fin;
                _ackNow = true;
                return true;
            }
            return false;
        }
        uint end = seg.Seq + (uint)len - 1;
        return (Seq.Le(_rcvNxt, seg.Seq) && Seq.Lt(seg.Seq, _rcvNxt + (uint)wnd))
            || (Seq.Le(_rcvNxt, end) && Seq.Lt(end, _rcvNxt + (uint)wnd));
    }

    private void TryConsumeFin()
    {
        if (!_peerFinKnown || _finReceived || _peerFinSeq != _rcvNxt)
        {
            return;
        }
        _finReceived = true;
        _rcvNxt++;
        _ackNow = true;
        _ooo.Clear();
        switch (State)
        {
            case TcpState.Established:
                SetState(TcpState.CloseWait);
                break;
            case TcpState.FinWait1:
                // Our FIN not yet acknowledged: simultaneous close.
                SetState(TcpState.Closing);
                break;
            case TcpState.FinWait2:
                EnterTimeWait();
                break;
        }
        Stream?.Signal();
    }

    private void EnterTimeWait()
    {
        SetState(TcpState.TimeWait);
        _rtxDeadline = long.MaxValue;
        _reorderDeadline = long.MaxValue;
        _persistDeadline = long.MaxValue;
        _keepaliveDeadline = long.MaxValue;
        _closeDeadline = Now + _o.TimeWait.Ticks / 10;
        _rtx.Clear();
        if (_o.TimeWait == TimeSpan.Zero)
        {
            _ackNow = true;
            Output();
            Terminate(SocketError.Success);
        }
    }

    /// <summary>Places in-window data into the receive ring; generates SACK/D-SACK state.</summary>
    private void ProcessData(uint seq, ReadOnlySpan<byte> data)
    {
        uint end = seq + (uint)data.Length;
        // Part before RCV.NXT is a duplicate: report it as D-SACK (RFC 2883).
        if (Seq.Lt(seq, _rcvNxt))
        {
            if (_sackOk)
            {
                _dsack = new SackBlock(seq, Seq.Min(end, _rcvNxt));
            }
            int skip = (int)(_rcvNxt - seq);
            if (skip >= data.Length)
            {
                _ackNow = true;
                return;
            }
            data = data[skip..];
            seq = _rcvNxt;
        }
        if (_finReceived || AppClosedDiscard(seq, data.Length))
        {
            return;
        }
        int window = (int)Math.Min(int.MaxValue, (long)(uint)(_rcvAdvEdge - _rcvNxt));
        window = Math.Max(window, CurrentWindow());
        // Window-scale rounding may advertise a little beyond the budget (never shrinking the edge); accept at
        // most one scale unit past it so a peer cannot creep the buffer upward with tiny segments.
        window = Math.Min(window, Math.Max(0, _rcvBudget + (1 << _rcvWscale) - _rcvBuf.Count));
        int offset = (int)(seq - _rcvNxt);
        if (offset >= window)
        {
            _ackNow = true;
            return;
        }
        if (offset + data.Length > window)
        {
            data = data[..(window - offset)];
        }
        _stack.Metrics.AddTcpBytesReceived(data.Length);
        _rcvRoundBytes += data.Length;
        _rcvBuf.RaiseMaxCapacity(_rcvBudget + (1 << _rcvWscale));
        _rcvBuf.EnsureCapacity(_rcvBuf.Count + offset + data.Length);
        if (_rcvBuf.Count + offset + data.Length > _rcvBuf.Capacity)
        {
            _ackNow = true; // cannot hold it (should not happen within the window)
            return;
        }
        if (offset == 0)
        {
            bool hadHoles = _ooo.RangeCount > 0;
            _rcvBuf.WriteAt(_rcvBuf.Count, data);
            int extra = _ooo.Advance(data.Length);
            int total = data.Length + extra;
            _rcvBuf.Commit(total);
            _rcvNxt += (uint)total;
            _governor?.OnDelivered(total, Now);
            PruneSacks();
            if (hadHoles)
            {
                _ackNow = true; // a hole was filled: ACK at once (RFC 5681 §4.2)
            }
            else
            {
                _segsSinceAck++;
                if (_segsSinceAck >= 2 || _o.DelayedAckTimeout == TimeSpan.Zero)
                {
                    _ackNow = true;
                }
                else if (_delackDeadline == long.MaxValue)
                {
                    _delackDeadline = Now + _o.DelayedAckTimeout.Ticks / 10;
                }
            }
            AutotuneReceive();
            SignalStream();
        }
        else
        {
            if (_ooo.Contains(offset, offset + data.Length))
            {
                if (_sackOk)
                {
                    _dsack = new SackBlock(seq, end);
                }
            }
            else
            {
                _rcvBuf.WriteAt(_rcvBuf.Count + offset, data);
                var merged = _ooo.Add(offset, offset + data.Length);
                RecordSack(new SackBlock(_rcvNxt + (uint)merged.Start, _rcvNxt + (uint)merged.End));
            }
            _ackNow = true; // out of order: immediate duplicate ACK carrying SACK
        }
    }

    private bool AppClosedDiscard(uint seq, int length)
    {
        if (!AppClosed)
        {
            return false;
        }
        // The application is gone: acknowledge in-order data and discard it so the peer can finish.
        if (seq == _rcvNxt)
        {
            _rcvNxt += (uint)length;
        }
        _ackNow = true;
        return true;
    }

    private void RecordSack(SackBlock block)
    {
        // Most recent first (RFC 2018 §4); drop blocks the new one covers.
        for (int i = _recentSacks.Count - 1; i >= 0; i--)
        {
            var b = _recentSacks[i];
            if (Seq.Le(block.Left, b.Left) && Seq.Ge(block.Right, b.Right))
            {
                _recentSacks.RemoveAt(i);
            }
        }
        _recentSacks.Insert(0, block);
        if (_recentSacks.Count > 4)
        {
            _recentSacks.RemoveAt(4);
        }
    }

    private void PruneSacks()
    {
        for (int i = _recentSacks.Count - 1; i >= 0; i--)
        {
            if (Seq.Le(_recentSacks[i].Right, _rcvNxt))
            {
                _recentSacks.RemoveAt(i);
            }
        }
    }

    private void AutotuneReceive()
    {
        // Dynamic right-sizing: if the peer delivered more than a quarter of the budget within one RTT (a hole
        // held through loss recovery on a reordering path blocks about three RTTs of data behind it) and the
        // application keeps up, double the budget (up to the maximum).
        long rtt = _rtt.HasSample ? _rtt.SrttUs : 200_000;
        if (_rcvRoundStartUs == 0)
        {
            _rcvRoundStartUs = Now;
            return;
        }
        if (Now - _rcvRoundStartUs < rtt)
        {
            return;
        }
        if (_rcvRoundBytes * 4 >= _rcvBudget && _rcvBudget < _o.TcpMaxReceiveBufferSize)
        {
            _rcvBudget = Math.Min(_rcvBudget * 2, _o.TcpMaxReceiveBufferSize);
            _rcvBuf.RaiseMaxCapacity(_rcvBudget);
            _ackNow |= CurrentWindow() - (int)(uint)(_rcvAdvEdge - _rcvNxt) >= 2 * Smss;
        }
        _rcvRoundStartUs = Now;
        _rcvRoundBytes = 0;
    }
}
