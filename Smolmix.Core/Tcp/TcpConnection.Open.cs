using System.Net.Sockets;
using Smolmix.Wire;

namespace Smolmix.Tcp;

internal sealed partial class TcpConnection
{
    /// <summary>Active open: sends the SYN.</summary>
    public void StartConnect(TimeSpan timeout)
    {
        SetState(TcpState.SynSent);
        _connectDeadline = Now + Math.Max(1, timeout.Ticks / 10);
        SendSyn();
        ArmTimer();
    }

    /// <summary>Passive open from a listener: <paramref name="syn"/> is the peer's SYN.</summary>
    public void AcceptSyn(ref TcpSegmentIn syn)
    {
        _irs = syn.Seq;
        _rcvNxt = syn.Seq + 1;
        NegotiateOptions(in syn.Options);
        _sndWnd = syn.Window; // never scaled in a SYN
        _maxSndWnd = _sndWnd;
        _sndWl1 = syn.Seq;
        _sndWl2 = syn.Ack;
        if (syn.Options.HasTimestamps)
        {
            _tsRecent = syn.Options.TsVal;
        }
        SetState(TcpState.SynReceived);
        _connectDeadline = Now + _o.ConnectTimeout.Ticks / 10;
        SendSyn();
        ArmTimer();
    }

    /// <summary>
    /// Passive open from a SYN cookie: rebuilds the SYN-RECEIVED state the stateless SYN-ACK stood for (ISS given
    /// to the constructor, the peer's ISN, the options the cookie carried, the window the SYN-ACK offered). The
    /// caller then hands it the ACK that completes the handshake.
    /// </summary>
    /// <param name="peerIsn">The peer's ISN (the ACK's sequence number less one).</param>
    /// <param name="peer">The peer's options as recovered from the cookie (MSS, window shift, SACK, timestamps).</param>
    public void OpenFromCookie(uint peerIsn, in TcpOptions peer)
    {
        _irs = peerIsn;
        _rcvNxt = peerIsn + 1;
        NegotiateOptions(in peer);
        if (peer.HasTimestamps)
        {
            _tsRecent = peer.TsVal;
        }
        _rcvAdvEdge = _rcvNxt + (uint)Math.Min(65535, _rcvBudget);
        SetState(TcpState.SynReceived);
        // The SYN-ACK's send time is not known (a cookie's TSval is rounded to 64 ms): it counts as retransmitted,
        // so the handshake gives no RTT sample (Karn).
        _rtx.Add(new SentSegment { Seq = _iss, SeqLength = 1, Syn = true, XmitTime = Now, XmitCount = 2 });
        _sndNxt = _iss + 1;
    }

    private void NegotiateOptions(in TcpOptions o)
    {
        if (o.Mss != 0)
        {
            _peerMss = o.Mss;
        }
        int ourMss = _stack.MssFor(Id.RemoteAddress);
        // Never send more than the peer allows, or than our MTU carries; floor of 64 guards hostile MSS.
        Smss = Math.Clamp(Math.Min(_peerMss, ourMss), 64, ourMss);
        _cc.Mss = Smss;
        _cc.Cwnd = (long)Math.Max(2, _o.InitialWindowSegments) * Smss;
        _wsOk = o.WindowScale >= 0;
        _sndWscale = _wsOk ? o.WindowScale : 0;
        if (!_wsOk)
        {
            _rcvWscale = 0;
        }
        _sackOk = o.SackPermitted;
        _tsOk = o.HasTimestamps;
    }

    private void SendSyn()
    {
        var opts = TcpOptions.Empty;
        opts.Mss = (ushort)_stack.MssFor(Id.RemoteAddress);
        bool passive = State == TcpState.SynReceived;
        if (!passive || _sackOk)
        {
            opts.SackPermitted = true;
        }
        if (!passive || _tsOk)
        {
            opts.HasTimestamps = true;
            opts.TsVal = TsNow;
            opts.TsEcr = passive ? _tsRecent : 0;
        }
        if (!passive || _wsOk)
        {
            opts.WindowScale = (sbyte)_rcvWscale;
        }
        TcpFlags flags = passive ? TcpFlags.Syn | TcpFlags.Ack : TcpFlags.Syn;
        ushort window = (ushort)Math.Min(65535, _rcvBudget);
        _rcvAdvEdge = _rcvNxt + window;
        if (_rtx.Count == 0)
        {
            var syn = _rtx.Rent();
            syn.Seq = _iss;
            syn.SeqLength = 1;
            syn.Syn = true;
            syn.XmitTime = Now;
            syn.XmitCount = 1;
            _rtx.Add(syn);
            _sndNxt = _iss + 1;
        }
        else
        {
            _rtx[0].XmitTime = Now;
            _rtx[0].XmitCount++;
        }
        _stack.SendTcp(Id, _iss, passive ? _rcvNxt : 0, flags, window, in opts, null, 0, 0);
        _rtxMode = RtxTimerMode.Rto;
        long rto = (_o.SynRto.Ticks / 10) << Math.Min(_synRetries, 16);
        _rtxDeadline = Now + Math.Min(rto, _o.MaxRto.Ticks / 10);
    }

    /// <summary>Handles a segment in SYN-SENT (RFC 9293 §3.10.7.3).</summary>
    private void OnSegmentSynSent(ref TcpSegmentIn seg)
    {
        bool ackOk = false;
        if (seg.HasAck)
        {
            if (Seq.Le(seg.Ack, _iss) || Seq.Gt(seg.Ack, _sndNxt))
            {
                if (!seg.Rst)
                {
                    _stack.SendRst(Id, seg.Ack, 0, false);
                }
                _stack.Metrics.Drop(DropReason.TcpUnacceptable);
                return;
            }
            ackOk = true;
        }
        if (seg.Rst)
        {
            if (ackOk)
            {
                Terminate(SocketError.ConnectionRefused);
            }
            return;
        }
        if (!seg.Syn)
        {
            return;
        }
        _irs = seg.Seq;
        _rcvNxt = seg.Seq + 1;
        // Our SYN offered its window before RCV.NXT was known: anchor that (unscaled) window at RCV.NXT now.
        _rcvAdvEdge = _rcvNxt + (uint)Math.Min(65535, _rcvBudget);
        NegotiateOptions(in seg.Options);
        if (seg.Options.HasTimestamps)
        {
            _tsRecent = seg.Options.TsVal;
        }
        if (ackOk)
        {
            // SYN-ACK: our SYN is acknowledged.
            TakeRttSampleForSyn(seg.Options);
            _sndUna = seg.Ack;
            _rtx.Clear();
            // RFC 7323 §2.2: the window in a SYN-ACK is never scaled.
            _sndWnd = seg.Window;
            _maxSndWnd = _sndWnd;
            _sndWl1 = seg.Seq;
            _sndWl2 = seg.Ack;
            _rtxDeadline = long.MaxValue;
            _connectDeadline = long.MaxValue;
            _rtt.Backoff = 0;
            SetState(TcpState.Established);
            StartRound();
            _ackNow = true;
            Output();
        }
        else
        {
            // Simultaneous open: SYN without ACK.
            SetState(TcpState.SynReceived);
            _sndWnd = seg.Window;
            _sndWl1 = seg.Seq;
            _rtx.Clear();
            _sndNxt = _iss;
            SendSyn();
        }
    }

    private void TakeRttSampleForSyn(in TcpOptions o)
    {
        if (_rtx.Count > 0 && _rtx[0].XmitCount == 1)
        {
            _rtt.Sample(Now - _rtx[0].XmitTime, Now);
        }
        else if (o.HasTimestamps && o.TsEcr != 0
            && (_rtx.Count == 0 || (int)(o.TsEcr - (uint)(_rtx[0].XmitTime / 1000 + _tsOffset)) >= 0))
        {
            // Only an echo of the latest SYN / SYN-ACK: one of an earlier transmission (the peer's own
            // retransmission timer answering our first SYN) would count the whole SYN timeout as RTT.
            _rtt.Sample((long)(uint)(TsNow - o.TsEcr) * 1000, Now);
        }
    }
}
