using System.Net.Sockets;
using Smolmix.Wire;

namespace Smolmix.Tcp;

internal sealed partial class TcpConnection
{
    private void OnTimerCallback()
    {
        lock (_stack.Sync)
        {
            _timerArmedAt = long.MaxValue;
            if (State == TcpState.Closed)
            {
                return;
            }
            _stack.HoldClock();
            try
            {
                OnTimer();
                if (State != TcpState.Closed)
                {
                    ArmTimer();
                }
            }
            finally
            {
                _stack.ReleaseClock();
            }
        }
    }

    /// <summary>Runs every deadline that has passed.</summary>
    internal void OnTimer()
    {
        long now = Now;
        if (now >= _connectDeadline)
        {
            _connectDeadline = long.MaxValue;
            if (!IsSynchronized)
            {
                Terminate(SocketError.TimedOut);
                return;
            }
        }
        if (now >= _closeDeadline)
        {
            _closeDeadline = long.MaxValue;
            if (State == TcpState.TimeWait || State == TcpState.FinWait2)
            {
                Terminate(SocketError.Success);
                return;
            }
        }
        if (now >= _delackDeadline)
        {
            _delackDeadline = long.MaxValue;
            _ackNow = true;
        }
        if (now >= _reorderDeadline)
        {
            _reorderDeadline = long.MaxValue;
            DetectLosses(now);
        }
        if (now >= _rtxDeadline)
        {
            _rtxDeadline = long.MaxValue;
            if (_rtxMode == RtxTimerMode.Tlp)
            {
                OnProbeTimeout();
            }
            else
            {
                OnRetransmitTimeout(now);
                if (State == TcpState.Closed)
                {
                    return;
                }
            }
        }
        if (now >= _persistDeadline)
        {
            _persistDeadline = long.MaxValue;
            OnPersistTimeout();
            if (State == TcpState.Closed)
            {
                return;
            }
        }
        if (now >= _keepaliveDeadline)
        {
            _keepaliveDeadline = long.MaxValue;
            OnKeepalive();
            if (State == TcpState.Closed)
            {
                return;
            }
        }
        if (now >= _bufferReleaseDeadline)
        {
            _bufferReleaseDeadline = long.MaxValue;
            OnBufferReleaseDeadline(now);
        }
        Output();
    }

    private void OnRetransmitTimeout(long now)
    {
        if (State is TcpState.SynSent or TcpState.SynReceived)
        {
            _synRetries++;
            if (_synRetries > _o.SynRetries)
            {
                Terminate(SocketError.TimedOut);
                return;
            }
            _stack.Metrics.TcpRetransmit();
            RetransmittedSegments++;
            SendSyn();
            return;
        }
        if (_rtx.Count == 0)
        {
            return;
        }
        var head = _rtx[0];
        bool tooMany = head.XmitCount > _o.MaxRetransmissions;
        bool tooLong = now - _lastProgressUs > _o.UserTimeout.Ticks / 10;
        if (tooMany || tooLong)
        {
            _stack.SendRst(Id, _sndNxt, _rcvNxt, true);
            Terminate(SocketError.TimedOut);
            return;
        }
        _stack.Metrics.TcpRto();
        _lastRtoUs = now;
        if (_undoState == null)
        {
            _undoState = _cc.SaveState();
            _undoRetrans = 0;
            _undoMarker = _sndUna;
            _lateUndoState = null;
        }
        _eifelArmed = false;
        _cc.OnRetransmitTimeout(now);
        ApplyPathFloorAfterRto();
        _inRecovery = false;
        _inLossRecovery = true;
        _recoveryPoint = _sndNxt;
        _rtt.Backoff++;
        if (_rtt.Backoff >= 3)
        {
            _rtt.Reset(); // RFC 6298 §5: after repeated backoff the estimate is stale (the backoff goes on, §5.5)
        }
        // Every unSACKed segment is presumed lost; retransmit from the head, one cwnd at a time.
        foreach (var s in _rtx)
        {
            if (!s.Sacked && !s.Lost)
            {
                s.Lost = true;
                _lostBytes += s.SeqLength;
            }
        }
        _rackXmitTime = -1;
        _reorderDeadline = long.MaxValue;
        _tlpOutstanding = false;
        RetransmitLost();
        _rtxMode = RtxTimerMode.Rto;
        _rtxDeadline = now + _rtt.BackedOffRtoUs;
    }

    private long _lastProgressUs;

    // When the last retransmission timeout fired. ACK information for anything sent before it was late
    // (lost ACKs, SACK blocks that did not fit), so segments sent before it give no RTT sample.
    private long _lastRtoUs = long.MinValue;

    private void ApplyPathFloorAfterRto()
    {
        // After an RTO the window restarts from one segment (RFC 5681), but ssthresh keeps the path
        // model's floor so slow start climbs straight back to the measured rate.
        if (!_o.PathModel)
        {
            return;
        }
        long bw = BandwidthMax;
        if (bw > 0 && _minSrttUs != long.MaxValue)
        {
            _cc.Ssthresh = Math.Max(_cc.Ssthresh, Math.Min((long)(FloorGain * bw * _minSrttUs / 1_000_000), SavedCwnd()));
        }
    }

    private void OnProbeTimeout()
    {
        // Tail loss probe: send new data if allowed, else retransmit the highest segment.
        _tlpOutstanding = true;
        int unsent = _sndBuf.Count - (int)(_sndNxt - _sndBufSeq);
        long wndLeft = _sndWnd - (long)(uint)(_sndNxt - _sndUna);
        if (unsent > 0 && wndLeft > 0)
        {
            long saved = _cc.Cwnd;
            _cc.Cwnd = Math.Max(_cc.Cwnd, Pipe + Smss);
            SendNewData();
            _cc.Cwnd = saved;
        }
        else if (_rtx.Count > 0)
        {
            var last = _rtx[^1];
            if (!last.Sacked)
            {
                Transmit(last, retransmit: true);
                _stack.Metrics.TcpTailLossProbe();
            }
        }
        _rtxMode = RtxTimerMode.Rto;
        _rtxDeadline = Now + _rtt.BackedOffRtoUs;
    }

    private void OnPersistTimeout()
    {
        if (_sndWnd > 0 || !IsSynchronized)
        {
            _persistBackoff = 0;
            return;
        }
        if (Now - _lastActivityUs > _o.UserTimeout.Ticks / 10)
        {
            // The peer may keep its window closed only while it answers the probes (RFC 9293 §3.8.6.1).
            _stack.SendRst(Id, _sndNxt, _rcvNxt, true);
            Terminate(SocketError.TimedOut);
            return;
        }
        // Zero-window probe: an already-acknowledged sequence number elicits an ACK with the window.
        _stack.Metrics.TcpZeroWindowProbe();
        EmitWithAck(_sndUna - 1, TcpFlags.Ack, null, 0, 0);
        _persistBackoff = Math.Min(_persistBackoff + 1, 10);
        long interval = Math.Min(_rtt.RtoUs << _persistBackoff, _o.MaxRto.Ticks / 10);
        _persistDeadline = Now + interval;
    }

    private void OnKeepalive()
    {
        if (_o.KeepAliveIdle is null || !IsSynchronized || State == TcpState.TimeWait)
        {
            return;
        }
        long idleUs = _o.KeepAliveIdle.Value.Ticks / 10;
        if (_keepaliveSent == 0 && Now - _lastActivityUs < idleUs)
        {
            // A segment arrived since the deadline was set (e.g. the answer to the last probe): probe only
            // after a full idle interval without traffic (RFC 1122 §4.2.3.6).
            _keepaliveDeadline = _lastActivityUs + idleUs;
            return;
        }
        if (_keepaliveSent >= _o.KeepAliveProbes)
        {
            _stack.SendRst(Id, _sndNxt, _rcvNxt, true);
            Terminate(SocketError.TimedOut);
            return;
        }
        _keepaliveSent++;
        // SND.UNA − 1 (as Linux): an already-acknowledged byte the peer must answer even with data in flight.
        EmitWithAck(_sndUna - 1, TcpFlags.Ack, null, 0, 0);
        _keepaliveDeadline = Now + _o.KeepAliveInterval.Ticks / 10;
    }

    /// <summary>Re-arms the single OS timer at the earliest pending deadline.</summary>
    internal void ArmTimer()
    {
        if (State == TcpState.Closed)
        {
            return;
        }
        ArmBufferRelease();
        long next = Math.Min(Math.Min(Math.Min(_rtxDeadline, _reorderDeadline), Math.Min(_delackDeadline, _persistDeadline)),
            Math.Min(Math.Min(_keepaliveDeadline, _closeDeadline), Math.Min(_connectDeadline, _bufferReleaseDeadline)));
        if (next == long.MaxValue)
        {
            if (_timerArmedAt != long.MaxValue)
            {
                _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                _timerArmedAt = long.MaxValue;
            }
            return;
        }
        if (next == _timerArmedAt)
        {
            return;
        }
        _timerArmedAt = next;
        long due = Math.Max(0, next - Now);
        _timer.Change(TimeSpan.FromTicks(due * 10), Timeout.InfiniteTimeSpan);
    }
}
