using Smolmix.Wire;

namespace Smolmix.Tcp;

internal sealed partial class TcpConnection
{
    /// <summary>
    /// Sends whatever the windows allow: lost segments first, then new data, then FIN; finally a
    /// pure ACK if one is owed and nothing carried it.
    /// </summary>
    public void Output()
    {
        if (State is TcpState.Closed or TcpState.Listen or TcpState.SynSent or TcpState.SynReceived)
        {
            if (_ackNow && State == TcpState.SynReceived)
            {
                _ackNow = false;
            }
            return;
        }
        if (State != TcpState.TimeWait)
        {
            RetransmitLost();
            SendNewData();
        }
        if (_ackNow || _dsack != null)
        {
            SendAck();
        }
    }

    // Output and a stream wake-up owed at the end of the stack's input batch (see NetStack.DeferOutput).
    private bool _outputDeferred;
    private bool _signalOwed;
    private bool _cwndLimitedClearOwed;

    /// <summary>After a segment: output now, or at the end of the stack's input batch.</summary>
    private void OutputOrDefer()
    {
        if (_stack.IsBatching)
        {
            Defer();
            return;
        }
        Output();
        ArmTimer();
    }

    /// <summary>Wakes the stream's waiters now, or at the end of the stack's input batch.</summary>
    private void SignalStream()
    {
        if (_stack.IsBatching)
        {
            _signalOwed = true;
            Defer();
            return;
        }
        Stream?.Signal();
    }

    private void Defer()
    {
        if (!_outputDeferred)
        {
            _outputDeferred = true;
            _stack.DeferOutput(this);
        }
    }

    /// <summary>End of an input batch: what its segments owed (the stream wake-up, then the output).</summary>
    internal void FlushDeferred()
    {
        _outputDeferred = false;
        if (_signalOwed)
        {
            _signalOwed = false;
            Stream?.Signal();
        }
        if (_cwndLimitedClearOwed)
        {
            _cwndLimitedClearOwed = false;
            _cwndLimited = false;
        }
        Output();
        ArmTimer();
    }

    private void RetransmitLost()
    {
        if (_lostBytes <= 0)
        {
            return;
        }
        foreach (var s in _rtx)
        {
            if (!s.Lost)
            {
                continue;
            }
            if (Pipe + s.SeqLength > SendCwnd && Pipe > 0)
            {
                _cwndLimited = true;
                return;
            }
            if (!_stack.OutputHasRoom)
            {
                _stack.WaitForOutputRoom(this);
                return;
            }
            s.Lost = false;
            _lostBytes -= s.SeqLength;
            Transmit(s, retransmit: true);
        }
    }

    private void SendNewData()
    {
        while (true)
        {
            int unsentOffset = (int)(_sndNxt - _sndBufSeq);
            int unsent = _sndBuf.Count - unsentOffset;
            bool canFin = _finQueued && !_finSent && unsent <= 0;
            if (unsent <= 0 && !canFin)
            {
                return;
            }
            long wndLeft = (long)(uint)(_sndUna + (uint)Math.Min(_sndWnd, int.MaxValue) - _sndNxt);
            if (Seq.Lt(_sndUna + (uint)Math.Min(_sndWnd, int.MaxValue), _sndNxt))
            {
                wndLeft = 0;
            }
            long cwndLeft = SendCwnd - Pipe;
            int mss = DataMss;
            int len = (int)Math.Min(Math.Min(unsent, mss), Math.Min(wndLeft, Math.Max(cwndLeft, 0)));
            if (unsent > 0 && len <= 0)
            {
                if (wndLeft <= 0 && _rtx.Count == 0 && _persistDeadline == long.MaxValue)
                {
                    _persistDeadline = Now + Math.Max(_rtt.BackedOffRtoUs, _o.MinRto.Ticks / 10);
                }
                if (cwndLeft <= 0 || cwndLeft < Math.Min(unsent, mss))
                {
                    _cwndLimited = true;
                }
                return;
            }
            if (unsent > 0 && len < mss && len < unsent)
            {
                // Sender-side silly window avoidance (RFC 9293 §3.8.6.2.1): wait for a full segment
                // unless nothing is in flight.
                if (_rtx.Count > 0)
                {
                    if (cwndLeft < mss)
                    {
                        _cwndLimited = true;
                    }
                    return;
                }
            }
            if (_o.Nagle && unsent > 0 && len < mss && _rtx.Count > 0 && !_finQueued)
            {
                return; // Nagle (RFC 896): hold a small segment while data is unacknowledged.
            }
            if (!_stack.OutputHasRoom)
            {
                _stack.WaitForOutputRoom(this);
                return;
            }
            bool fin = _finQueued && !_finSent && len == Math.Max(unsent, 0);
            var seg = _rtx.Rent();
            seg.Seq = _sndNxt;
            seg.SeqLength = len + (fin ? 1 : 0);
            seg.DataLength = len;
            seg.Fin = fin;
            if (fin)
            {
                _finSent = true;
                _finSeq = _sndNxt + (uint)len;
            }
            _sndNxt += (uint)seg.SeqLength;
            if (_rtx.Count == 0)
            {
                _lastProgressUs = Now;
            }
            _rtx.Add(seg);
            Transmit(seg, retransmit: false);
            if (_rtxDeadline == long.MaxValue || _rtxMode == RtxTimerMode.Tlp)
            {
                ArmRetransmitTimer();
            }
            if (fin)
            {
                return;
            }
        }
    }

    private void Transmit(SentSegment s, bool retransmit)
    {
        long now = Now;
        s.XmitTime = now;
        s.XmitCount++;
        if (retransmit)
        {
            RetransmittedSegments++;
            _stack.Metrics.TcpRetransmit();
            if (_undoState != null)
            {
                _undoRetrans++;
                if (!_eifelArmed && _tsOk && _inLossRecovery && s.XmitCount == 2 && s.Seq == _sndUna)
                {
                    // Only a timeout retransmission carries a fresh TSval (see below), so only it arms Eifel.
                    _eifelArmed = true;
                    _eifelTsVal = TsNow;
                }
            }
        }
        TcpFlags flags = TcpFlags.Ack;
        if (s.DataLength > 0)
        {
            flags |= TcpFlags.Psh;
        }
        if (s.Fin)
        {
            flags |= TcpFlags.Fin;
        }
        if (s.Syn)
        {
            SendSyn();
            return;
        }
        // A retransmission after loss detection by RACK keeps the original TSval: on a path that reorders
        // by hundreds of ms, a fresh TSval would advance the receiver's TS.Recent past originals still in
        // flight, and PAWS (RFC 7323 §5) would discard them. Timeout retransmissions carry a fresh TSval so
        // Eifel detection (RFC 3522) can tell a spurious timeout.
        uint tsVal = TsNow;
        if (s.XmitCount == 1)
        {
            s.FirstTsVal = tsVal;
        }
        else if (!_inLossRecovery)
        {
            tsVal = s.FirstTsVal;
        }
        EmitWithAck(s.Seq, flags, _sndBuf, (int)(s.Seq - _sndBufSeq), s.DataLength, tsVal);
    }

    /// <summary>Sends a pure ACK (with SACK / D-SACK blocks when there is anything to report).</summary>
    public void SendAck()
    {
        if (State is TcpState.Closed or TcpState.SynSent or TcpState.Listen)
        {
            return;
        }
        EmitWithAck(_sndNxt, TcpFlags.Ack, null, 0, 0);
    }

    private void EmitWithAck(uint seq, TcpFlags flags, ByteRing? data, int dataOffset, int dataLength, uint? tsVal = null)
    {
        var opts = TcpOptions.Empty;
        if (_tsOk)
        {
            opts.HasTimestamps = true;
            opts.TsVal = tsVal ?? TsNow;
            opts.TsEcr = _tsRecent;
        }
        if (_sackOk)
        {
            // As many blocks as fit: 3 with timestamps (RFC 2018 §3), fewer if a full data segment leaves no room.
            int room = _stack.Options.Mtu - (Id.RemoteAddress.IsV6 ? 60 : 40) - (_tsOk ? 12 : 0) - dataLength - 4;
            int max = Math.Min(_tsOk ? 3 : 4, Math.Max(0, room / 8));
            // A D-SACK obeys the same room: a full data segment has none, and the pure ACK that Output sends
            // after it (a pending D-SACK makes one) carries the block instead.
            if (_dsack is SackBlock d && max > 0)
            {
                opts.AddSack(d);
                _dsack = null;
                // RFC 2883 §4: if the duplicate lies inside an out-of-order block, that block comes second.
                foreach (var b in _recentSacks)
                {
                    if (opts.SackCount >= max)
                    {
                        break;
                    }
                    if (Seq.Le(b.Left, d.Left) && Seq.Ge(b.Right, d.Right))
                    {
                        opts.AddSack(b);
                        break;
                    }
                }
            }
            foreach (var b in _recentSacks)
            {
                if (opts.SackCount >= max)
                {
                    break;
                }
                if (HasSack(in opts, b))
                {
                    continue;
                }
                opts.AddSack(b);
            }
        }
        ushort window = AdvertiseWindow();
        _stack.SendTcp(Id, seq, _rcvNxt, flags, window, in opts, data, dataOffset, dataLength);
        _ackNow = false;
        _segsSinceAck = 0;
        _delackDeadline = long.MaxValue;
        if (_o.KeepAliveIdle is TimeSpan idle && IsSynchronized)
        {
            _keepaliveDeadline = Math.Max(_lastActivityUs, Now) + idle.Ticks / 10;
        }
    }

    private static bool HasSack(in TcpOptions opts, SackBlock b)
    {
        for (int i = 0; i < opts.SackCount; i++)
        {
            if (opts.GetSack(i) == b)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Data bytes per full segment: the MSS less the options every segment carries.</summary>
    private int DataMss => Smss - (_tsOk ? 12 : 0);

    /// <summary>
    /// Receive window we can offer: buffer budget minus unread data, and on a long path no more than the
    /// governor's limit beyond the data already held out of order (so the peer's un-SACKed bytes in
    /// flight stay near the limit through loss recovery).
    /// </summary>
    private int CurrentWindow()
    {
        int free = Math.Max(0, _rcvBudget - _rcvBuf.Count);
        if (_governor is { } g && g.Limit is var limit && limit != long.MaxValue)
        {
            free = (int)Math.Min(free, limit + _ooo.Bytes);
        }
        return free;
    }

    private ushort AdvertiseWindow()
    {
        int free = CurrentWindow();
        long current = (long)(uint)(_rcvAdvEdge - _rcvNxt);
        if (Seq.Lt(_rcvAdvEdge, _rcvNxt))
        {
            current = 0;
        }
        // Receiver silly window avoidance (RFC 9293 §3.8.6.2.2): only move the edge right by a
        // meaningful amount; never move it left (never shrink the window).
        long wnd = current;
        if (free - current >= Math.Min(_rcvBudget / 2, Smss) || free >= current + (1 << _rcvWscale) && current == 0 && free >= Smss)
        {
            wnd = free;
        }
        wnd = Math.Min(wnd, 65535L << _rcvWscale);
        long scaled = wnd >> _rcvWscale;
        if ((scaled << _rcvWscale) < current)
        {
            scaled = (current + (1 << _rcvWscale) - 1) >> _rcvWscale; // round up: never shrink
        }
        scaled = Math.Min(scaled, 65535);
        uint edge = _rcvNxt + (uint)(scaled << _rcvWscale);
        if (Seq.Gt(edge, _rcvAdvEdge))
        {
            _rcvAdvEdge = edge;
        }
        return (ushort)scaled;
    }

    private void ArmRetransmitTimer()
    {
        if (_rtx.Count == 0)
        {
            _rtxDeadline = long.MaxValue;
            return;
        }
        long rto = _rtt.BackedOffRtoUs;
        // Tail loss probe (RFC 8985 §7): when SACK is on, not already in recovery, and no probe is out.
        if (_sackOk && !_inRecovery && !_inLossRecovery && !_tlpOutstanding && _rtt.HasSample && _rtt.Backoff == 0)
        {
            // PTO = 2·SRTT with a 10 ms floor (as Linux): on a sub-millisecond in-memory path a bare
            // 2·SRTT fires on any scheduling hiccup and retransmits spuriously.
            long pto = Math.Max(2 * _rtt.SrttUs, 10_000);
            if (Pipe <= Smss)
            {
                // RFC 8985 §7.2: a lone segment may wait for the peer's delayed ACK (WCDelAckT, 200 ms).
                // Our own delayed-ACK setting says nothing about the peer's: Linux holds the ACK of a
                // lone segment or a FIN for 40 ms or more, and a shorter allowance makes the probe spurious.
                pto += 200_000;
            }
            if (pto < rto)
            {
                _rtxMode = RtxTimerMode.Tlp;
                _rtxDeadline = Now + pto;
                return;
            }
        }
        _rtxMode = RtxTimerMode.Rto;
        _rtxDeadline = Now + rto;
    }
}
