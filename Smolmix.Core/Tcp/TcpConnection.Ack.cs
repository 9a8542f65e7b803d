using Smolmix.Wire;

namespace Smolmix.Tcp;

internal sealed partial class TcpConnection
{
    /// <summary>Processes the ACK field, SACK blocks and window of a synchronized-state segment.</summary>
    private void ProcessAck(ref TcpSegmentIn seg)
    {
        uint ack = seg.Ack;
        long now = Now;
        long newlyAcked = 0;
        long newlyDelivered = 0;
        bool advanced = Seq.Gt(ack, _sndUna);
        long rttSampleUs = -1;
        bool ourFinAcked = false;
        long newestAckedXmitUs = -1;
        string sampleSource = "";

        // Window update (RFC 9293 §3.10.7.4).
        if (Seq.Lt(_sndWl1, seg.Seq) || (_sndWl1 == seg.Seq && Seq.Le(_sndWl2, ack)))
        {
            long oldWnd = _sndWnd;
            _sndWnd = (long)seg.Window << _sndWscale;
            _maxSndWnd = Math.Max(_maxSndWnd, _sndWnd);
            _sndWl1 = seg.Seq;
            _sndWl2 = ack;
            if (_sndWnd > 0 && oldWnd == 0)
            {
                _persistDeadline = long.MaxValue;
                _persistBackoff = 0;
            }
        }

        // D-SACK detection (RFC 2883 §4): first block below the cumulative ACK, or inside the second.
        int firstSack = 0;
        if (_sackOk && seg.Options.SackCount > 0)
        {
            var b0 = seg.Options.GetSack(0);
            bool dsack = Seq.Le(b0.Right, ack) ||
                (seg.Options.SackCount > 1 && Seq.Ge(b0.Left, seg.Options.GetSack(1).Left) && Seq.Le(b0.Right, seg.Options.GetSack(1).Right));
            if (dsack)
            {
                firstSack = 1;
                OnDsack(b0);
            }
        }

        // Cumulative ACK: drop fully acknowledged segments.
        if (advanced)
        {
            uint una = ack;
            int remove = 0;
            SentSegment? newestAcked = null;
            bool retransmittedAcked = false;
            for (; remove < _rtx.Count; remove++)
            {
                var s = _rtx[remove];
                if (Seq.Gt(s.End, una))
                {
                    break;
                }
                if (s.Sacked)
                {
                    _sackedBytes -= s.SeqLength;
                }
                else
                {
                    newlyDelivered += s.SeqLength;
                    if (s.Lost)
                    {
                        _lostBytes -= s.SeqLength;
                    }
                }
                if (s.Fin)
                {
                    ourFinAcked = true;
                }
                if (!s.Sacked && s.XmitCount > 1)
                {
                    retransmittedAcked = true;
                }
                if (!s.Sacked)
                {
                    // Already-SACKed segments were measured when SACKed; their send time says nothing now.
                    newestAcked = s;
                    RackUpdate(s, ref seg, spreadSample: !retransmittedAcked);
                }
            }
            if (remove < _rtx.Count && Seq.Gt(una, _rtx[remove].Seq))
            {
                // A partial ACK inside a segment (peer re-segmented or MSS shrank): trim it.
                var s = _rtx[remove];
                int cut = (int)(una - s.Seq);
                if (s.Sacked) { _sackedBytes -= cut; } else { newlyDelivered += cut; if (s.Lost) { _lostBytes -= cut; } }
                s.Seq = una;
                s.SeqLength -= cut;
                s.DataLength -= cut;
            }
            if (newestAcked != null)
            {
                newestAckedXmitUs = newestAcked.XmitTime;
                // Karn's rule, extended as Linux does (FLAG_RETRANS_DATA_ACKED): when this ACK also covers a
                // retransmission, a retransmission filled the hole and triggered it, and the never-retransmitted
                // segments above the hole arrived long before: their "RTT" is the loss episode. The same for
                // segments sent before the last timeout: the timeout proves their ACK information was late.
                if (newestAcked.XmitCount == 1 && !retransmittedAcked && newestAcked.XmitTime >= _lastRtoUs)
                {
                    rttSampleUs = now - newestAcked.XmitTime;
                    sampleSource = "cum";
                }
                CheckEifel(newestAcked, ref seg);
            }
            _rtx.RemoveRange(0, remove);
            int dataAcked = (int)(ack - _sndUna);
            if (Seq.Le(_sndUna, _iss) && Seq.Gt(ack, _iss))
            {
                dataAcked--; // SYN
            }
            if (ourFinAcked)
            {
                dataAcked--;
            }
            dataAcked = Math.Clamp(dataAcked, 0, _sndBuf.Count);
            _sndBuf.Consume(dataAcked);
            _sndBufSeq += (uint)dataAcked;
            newlyAcked = (uint)(ack - _sndUna);
            _sndUna = ack;
            _lastProgressUs = now;
            _rtt.Backoff = 0;
            _tlpOutstanding = false;
            _stack.Metrics.AddTcpBytesAcked(dataAcked);
            if (dataAcked > 0)
            {
                SignalStream();
            }
        }

        // SACK blocks: mark newly selectively acknowledged segments.
        if (_sackOk)
        {
            for (int b = firstSack; b < seg.Options.SackCount; b++)
            {
                var blk = seg.Options.GetSack(b);
                if (Seq.Le(blk.Right, _sndUna) || Seq.Gt(blk.Right, _sndNxt) || Seq.Ge(blk.Left, blk.Right))
                {
                    continue; // stale or bogus block
                }
                for (int i = _rtx.IndexOfFirstEndingAfter(blk.Left); i < _rtx.Count; i++)
                {
                    var s = _rtx[i];
                    if (Seq.Ge(s.Seq, blk.Right))
                    {
                        break;
                    }
                    if (s.Sacked || Seq.Lt(s.Seq, blk.Left) || Seq.Gt(s.End, blk.Right))
                    {
                        continue;
                    }
                    s.Sacked = true;
                    _sackedBytes += s.SeqLength;
                    newlyDelivered += s.SeqLength;
                    if (s.Lost)
                    {
                        s.Lost = false;
                        _lostBytes -= s.SeqLength;
                    }
                    if (s.XmitCount == 1 && s.XmitTime >= _lastRtoUs)
                    {
                        rttSampleUs = rttSampleUs < 0 ? now - s.XmitTime : Math.Min(rttSampleUs, now - s.XmitTime);
                        sampleSource = sampleSource.Length == 0 ? "sack" : "cum+sack"; // literals: nothing allocated per ACK
                    }
                    RackUpdate(s, ref seg, spreadSample: true);
                }
            }
        }

        // RTT: a sample from a never-retransmitted segment, else from the timestamp echo — unless the echo
        // predates the acknowledged segment's latest transmission (a RACK retransmission reuses the original
        // TSval): that echo measures the whole loss episode, not the path, and would inflate the RTO.
        if (rttSampleUs < 0 && advanced && _tsOk && seg.Options.HasTimestamps && seg.Options.TsEcr != 0
            && (newestAckedXmitUs < 0 || (int)(seg.Options.TsEcr - (uint)(newestAckedXmitUs / 1000 + _tsOffset)) >= 0)
            && (_lastRtoUs == long.MinValue || (int)(seg.Options.TsEcr - (uint)(_lastRtoUs / 1000 + _tsOffset)) >= 0))
        {
            uint d = TsNow - seg.Options.TsEcr;
            if (d < 600_000)
            {
                rttSampleUs = (long)d * 1000;
                sampleSource = "ts";
            }
        }
        if (rttSampleUs >= 0)
        {
            RttSampleTrace?.Invoke(sampleSource, rttSampleUs);
            _rtt.Sample(rttSampleUs, now);
            UpdateMinSrtt(now);
        }

        if (newlyDelivered > 0)
        {
            _delivered += newlyDelivered;
            OnRoundProgress(now);
        }

        // State transitions driven by our FIN being acknowledged.
        if (ourFinAcked || (_finSent && Seq.Ge(_sndUna, _finSeq + 1)))
        {
            switch (State)
            {
                case TcpState.FinWait1:
                    SetState(TcpState.FinWait2);
                    if (AppClosed)
                    {
                        _closeDeadline = now + _o.FinWait2Timeout.Ticks / 10;
                    }
                    break;
                case TcpState.Closing:
                    EnterTimeWait();
                    break;
                case TcpState.LastAck:
                    Terminate(System.Net.Sockets.SocketError.Success);
                    return;
            }
        }

        // Loss detection (RACK) and recovery.
        DetectLosses(now);
        if (_inRecovery || _inLossRecovery)
        {
            if (Seq.Ge(_sndUna, _recoveryPoint))
            {
                _inRecovery = false;
                _inLossRecovery = false;
                if (_undoRetrans <= 0 && _undoState != null)
                {
                    Undo();
                }
                else if (_undoState != null)
                {
                    // The originals may just be late: D-SACKs for the retransmissions can still arrive.
                    _lateUndoState = _undoState;
                    _lateUndoRetrans = _undoRetrans;
                    _lateUndoHi = _recoveryPoint;
                }
                _undoState = null;
            }
            else if (_inLossRecovery && newlyAcked > 0 && _cwndLimited)
            {
                // After an RTO the window restarts at one segment and slow-starts (RFC 5681 §3.1); without this
                // the rest of a lost window would go out one segment per round trip.
                _cc.OnAck(newlyAcked, now, _rtt.SrttUs);
                ApplyPathCap();
            }
        }
        // Growth counts bytes newly delivered (cumulatively or selectively acknowledged), so it continues
        // through a random-loss episode, where the cumulative ACK waits for a retransmission.
        if ((!(_inRecovery || _inLossRecovery) || (_inRecovery && _randomLossEpisode)) && newlyDelivered > 0 && _cwndLimited && _drainTarget == 0)
        {
            if (_o.PathModel && _cc.InSlowStart && IsQueueBuilding())
            {
                // Delay-based slow-start exit (in the spirit of HyStart++, RFC 9406): the RTT has risen
                // well above the base, so the pipe is full and growing further only builds a queue.
                _cc.Ssthresh = _cc.Cwnd;
            }
            _cc.OnAck(newlyDelivered, now, _rtt.SrttUs);
            ApplyPathCap();
        }
        if (_stack.IsBatching)
        {
            // The sends this ACK allows wait for the end of the batch: until then the last send's verdict stands
            // for the batch's other ACKs too (clearing it here would stop growth after the batch's first ACK).
            _cwndLimitedClearOwed = true;
        }
        else
        {
            _cwndLimited = false;
        }

        // Retransmission timer (RFC 6298 §5.2, 5.3).
        if (_rtx.Count == 0)
        {
            _rtxDeadline = long.MaxValue;
            _reorderDeadline = long.MaxValue;
        }
        else if (advanced || newlyDelivered > 0)
        {
            ArmRetransmitTimer();
        }
    }

    // An ended recovery episode whose retransmissions were not all shown spurious yet (RFC 2883 §5: the
    // D-SACK for a retransmission usually arrives after the ACK that ended the episode).
    private object? _lateUndoState;
    private int _lateUndoRetrans;
    private uint _lateUndoHi;

    private void OnDsack(SackBlock block)
    {
        _stack.Metrics.TcpDsackReceived();
        if (_undoState != null && _undoRetrans > 0)
        {
            _undoRetrans--;
            if (_undoRetrans == 0 && !_inRecovery && !_inLossRecovery)
            {
                Undo();
                _undoState = null;
            }
        }
        else if (_undoState == null && _lateUndoState != null && Seq.Ge(block.Left, _undoMarker) && Seq.Le(block.Right, _lateUndoHi)
            && --_lateUndoRetrans <= 0)
        {
            _undoState = _lateUndoState;
            _lateUndoState = null;
            Undo();
            _undoState = null;
        }
        // RFC 8985 §6.2: widen the reordering window when D-SACKs show spurious retransmissions.
        if (!_dsackThisRound)
        {
            _dsackThisRound = true;
            _reoWndMult = Math.Min(_reoWndMult + 1, 64);
            _reoWndPersist = 16;
        }
    }

    private void CheckEifel(SentSegment s, ref TcpSegmentIn seg)
    {
        // Eifel detection (RFC 3522): the ACK for the first retransmitted segment echoes a timestamp older
        // than the retransmission, so the original arrived: the retransmission was spurious.
        if (!_eifelArmed || !_tsOk || !seg.Options.HasTimestamps || s.XmitCount < 2)
        {
            return;
        }
        _eifelArmed = false;
        if ((int)(seg.Options.TsEcr - _eifelTsVal) < 0 && _undoState != null)
        {
            Undo();
            _undoState = null;
            _inLossRecovery = false;
            _inRecovery = false;
            // Segments still marked lost were marked by the spurious episode: they are in flight after all.
            foreach (var x in _rtx)
            {
                if (x.Lost)
                {
                    x.Lost = false;
                    _lostBytes -= x.SeqLength;
                }
            }
        }
    }

    private void Undo()
    {
        if (_undoState == null)
        {
            return;
        }
        _cc.RestoreState(_undoState);
        SpuriousRetransmits++;
        _stack.Metrics.TcpSpuriousUndo();
        // Spurious retransmissions mean reordering beyond the window: widen it (RFC 8985 §6.2).
        _reoWndMult = Math.Min(_reoWndMult + 1, 64);
        _reoWndPersist = 16;
    }

    private void RackUpdate(SentSegment s, ref TcpSegmentIn seg, bool spreadSample)
    {
        long rtt = Now - s.XmitTime;
        if (s.XmitCount > 1)
        {
            // Ambiguous: skip if the ACK may be for the original (RFC 8985 §6.2 step 2).
            if (_tsOk && seg.Options.HasTimestamps && (int)(seg.Options.TsEcr - (uint)(s.XmitTime / 1000 + _tsOffset)) < 0)
            {
                return;
            }
            if (rtt < _rtt.MinRttUs)
            {
                return;
            }
        }
        if (spreadSample && s.XmitCount == 1 && s.XmitTime >= _lastRtoUs)
        {
            // Only trustworthy samples measure the reordering extent: a segment whose acknowledgement was
            // late (sent before a timeout, or above a hole a retransmission filled) would widen the reorder
            // window to the loss episode's length, and then every later loss waits for a timeout.
            TrackRttSpread(rtt);
        }
        if (s.XmitTime > _rackXmitTime || (s.XmitTime == _rackXmitTime && Seq.Gt(s.End, _rackEndSeq)))
        {
            _rackRtt = rtt;
            _rackXmitTime = s.XmitTime;
            _rackEndSeq = s.End;
        }
    }

    // Largest per-packet RTT deviation over two alternating 10 s buckets (a cheap windowed max).
    private long _spreadBucketStart;
    private long _curMax, _prevMax;

    /// <summary>Twice the largest recent deviation of a per-packet RTT from SRTT: the reordering extent.</summary>
    private long RttSpreadUs => 2 * Math.Max(_curMax, _prevMax);

    private void TrackRttSpread(long rtt)
    {
        long now = Now;
        if (now - _spreadBucketStart > 10_000_000)
        {
            _prevMax = _curMax;
            _curMax = 0;
            _spreadBucketStart = now;
        }
        // Deviation from the smoothed RTT rather than raw extremes: a queue that grows or drains moves
        // SRTT with it, so only the per-packet jitter (which is what reorders packets) is measured.
        long srtt = _rtt.HasSample ? _rtt.SrttUs : rtt;
        long dev = Math.Abs(rtt - srtt);
        _curMax = Math.Max(_curMax, dev);
    }

    private long ReorderWindowUs()
    {
        if (!_sackOk)
        {
            return 0;
        }
        long minRtt = _rtt.MinRttUs == long.MaxValue ? 0 : _rtt.MinRttUs;
        // Suited to a path whose delay spread is hundreds of ms: base it on the RTT variance as well as
        // min_RTT/4, times the D-SACK-driven multiplier, capped at SRTT (RFC 8985 §6.2 allows this).
        // On the mixnet every packet draws its own mix delays, so the reordering extent is the spread of
        // per-packet RTTs (max − min over recent samples), which 4·RTTVAR underestimates.
        long baseWnd = Math.Max(Math.Max(minRtt / 4, 4 * _rtt.RttVarUs), RttSpreadUs);
        long srtt = _rtt.SrttUs > 0 ? _rtt.SrttUs : minRtt;
        return Math.Min(baseWnd * _reoWndMult, Math.Max(srtt, baseWnd));
    }

    /// <summary>RACK loss detection (RFC 8985 §6.2 step 5): marks lost segments and arms the reorder timer.</summary>
    private void DetectLosses(long now)
    {
        if (_rackXmitTime < 0 || _rtx.Count == 0)
        {
            _reorderDeadline = long.MaxValue;
            return;
        }
        long reoWnd = ReorderWindowUs();
        long earliestRemaining = long.MaxValue;
        bool newLoss = false;
        foreach (var s in _rtx)
        {
            if (s.Sacked || s.Lost)
            {
                continue;
            }
            if (s.XmitCount == 1 && s.XmitTime > _rackXmitTime)
            {
                // Original transmissions go out in sequence order, so every later segment was sent after
                // the RACK segment too (or is a retransmission, sent later still): nothing more to check.
                break;
            }
            if (s.XmitTime > _rackXmitTime || (s.XmitTime == _rackXmitTime && Seq.Ge(s.End, _rackEndSeq)))
            {
                // Sent after the most recently delivered segment: no evidence yet. List is in sequence
                // order, not time order (retransmissions), so keep scanning.
                continue;
            }
            long remaining = s.XmitTime + _rackRtt + reoWnd - now;
            if (remaining <= 0)
            {
                s.Lost = true;
                _lostBytes += s.SeqLength;
                newLoss = true;
            }
            else
            {
                earliestRemaining = Math.Min(earliestRemaining, remaining);
            }
        }
        _reorderDeadline = earliestRemaining == long.MaxValue ? long.MaxValue : now + earliestRemaining;
        if (newLoss)
        {
            EnterRecovery(now);
        }
    }

    private void EnterRecovery(long now)
    {
        if (_inRecovery || _inLossRecovery)
        {
            return;
        }
        _inRecovery = true;
        _randomLossEpisode = false;
        _recoveryPoint = _sndNxt;
        _undoState = _cc.SaveState();
        _undoRetrans = 0;
        _undoMarker = _sndUna;
        _lateUndoState = null;
        _eifelArmed = false;
        _stack.Metrics.TcpRecoveryEpisode();
        if (_o.PathModel && !IsQueueBuilding())
        {
            // Veno-style loss classification (Fu & Liew, 2003): the RTT shows no standing queue, so the
            // loss was random (the mixnet drops packets regardless of load). Back off gently and keep
            // slow start's threshold, instead of a multiplicative decrease the path does not call for.
            _stack.Metrics.TcpRandomLoss();
            _randomLossEpisode = true;
            _cc.Cwnd = Math.Max((long)(_cc.Cwnd * RandomLossBeta), 2L * Smss);
            if (!_cc.InSlowStart)
            {
                _cc.Ssthresh = _cc.Cwnd;
            }
            return;
        }
        _cc.OnCongestionEvent(now);
        ApplyPathFloor();
    }

    // The current fast-recovery episode was judged random loss: the window keeps growing through it.
    private bool _randomLossEpisode;

    /// <summary>Window multiplier after a loss judged random rather than congestive.</summary>
    private const double RandomLossBeta = 0.9;

    /// <summary>
    /// True when the smoothed RTT sits well above the path's base RTT (the minimum smoothed RTT): the
    /// bottleneck is queueing our data, so a loss now is a congestion signal.
    /// </summary>
    private bool IsQueueBuilding()
    {
        if (_minSrttUs == long.MaxValue || !_rtt.HasSample)
        {
            return false; // no base yet: early losses on this path are far more likely random
        }
        return _rtt.SrttUs > _minSrttUs + Math.Max(_minSrttUs * 3 / 10, _rtt.RttVarUs);
    }

    private void StartRound()
    {
        _roundEnd = _sndNxt;
        _roundStartDelivered = _delivered;
        _roundStartUs = Now;
    }

    private void OnRoundProgress(long now)
    {
        if (Seq.Lt(_sndUna, _roundEnd) && _rtx.Count > 0)
        {
            return;
        }
        long elapsed = now - _roundStartUs;
        long bytes = _delivered - _roundStartDelivered;
        if (elapsed > 0 && bytes > 0)
        {
            long bw = bytes * 1_000_000 / elapsed;
            _bwSamples[_bwIndex] = bw;
            _bwIndex = (_bwIndex + 1) % _bwSamples.Length;
        }
        _dsackThisRound = false;
        if (_reoWndPersist > 0 && --_reoWndPersist == 0)
        {
            _reoWndMult = 1;
        }
        StartRound();
    }

    private void UpdateMinSrtt(long now)
    {
        // The smoothed RTT averages out per-packet mix jitter, so its minimum approximates the path's RTT
        // without queueing. Ignore the first few samples (SRTT is still a single raw sample).
        if (++_rttSamples < 8)
        {
            return;
        }
        long srtt = _rtt.SrttUs;
        if (_drainPhase != DrainPhase.None)
        {
            ProgressDrain(now, srtt);
            return;
        }
        if (srtt <= _minSrttUs)
        {
            _minSrttUs = srtt;
            _minSrttStamp = now;
            return;
        }
        if (now - _minSrttStamp > MinSrttWindowUs)
        {
            // The minimum is old. It must not be replaced by the current SRTT: while the window is capped at
            // 1.5 × BDP the current SRTT includes the standing queue the cap allows, and re-basing on it
            // would switch the cap off for good (issue 10 item 7). Instead drain the queue briefly and
            // re-base on what the RTT shows with no queue of ours (BBR's ProbeRTT, in spirit).
            StartDrain(now);
        }
    }

    private void StartDrain(long now)
    {
        long bw = BandwidthMax;
        if (!_o.PathModel || bw <= 0 || _minSrttUs == long.MaxValue)
        {
            _minSrttStamp = now;
            return;
        }
        _drainPhase = DrainPhase.Draining;
        _drainTarget = Math.Max(4L * Smss, bw * _minSrttUs / 1_000_000);
        _drainStartUs = now;
        _drainMinSrttUs = long.MaxValue;
        _stack.Metrics.TcpMinRttProbe();
    }

    private void ProgressDrain(long now, long srtt)
    {
        switch (_drainPhase)
        {
            case DrainPhase.Draining when Pipe <= _drainTarget:
                // Our excess is out of the network (or about to be): one round for the queue to empty...
                _drainPhase = DrainPhase.Emptying;
                _drainRoundEnd = _sndNxt;
                break;
            case DrainPhase.Emptying when Seq.Ge(_sndUna, _drainRoundEnd):
                // ...then one round sent into an empty queue, whose SRTT is the base RTT.
                _drainPhase = DrainPhase.Measuring;
                _drainRoundEnd = _sndNxt;
                _drainMeasureStartUs = now;
                break;
            case DrainPhase.Measuring:
                _drainMinSrttUs = Math.Min(_drainMinSrttUs, srtt);
                if (Seq.Ge(_sndUna, _drainRoundEnd) && now - _drainMeasureStartUs >= MinDrainMeasureUs)
                {
                    EndDrain(now);
                }
                break;
        }
        if (_drainPhase != DrainPhase.None && now - _drainStartUs > MaxDrainUs)
        {
            EndDrain(now); // bounded: losses or an idle sender can stall the rounds
        }
    }

    private void EndDrain(long now)
    {
        if (_drainMinSrttUs != long.MaxValue)
        {
            _minSrttUs = _drainMinSrttUs;
        }
        _minSrttStamp = now;
        _drainPhase = DrainPhase.None;
        _drainTarget = 0;
        _cc.OnGrowthPaused();
    }

    /// <summary>The congestion window the sender uses: cwnd, limited while draining for a new base RTT.</summary>
    private long SendCwnd => _drainTarget > 0 ? Math.Min(_cc.Cwnd, _drainTarget) : _cc.Cwnd;

    private enum DrainPhase { None, Draining, Emptying, Measuring }

    private DrainPhase _drainPhase;
    private long _drainTarget;
    private long _drainStartUs;
    private long _drainMeasureStartUs;
    private uint _drainRoundEnd;
    private long _drainMinSrttUs = long.MaxValue;

    /// <summary>How long a minimum SRTT stands without being matched before a drain re-measures it.</summary>
    private const long MinSrttWindowUs = 60_000_000;

    /// <summary>A measuring round lasts at least this long (a handful of ACKs on a fast path).</summary>
    private const long MinDrainMeasureUs = 200_000;

    /// <summary>A drain gives up after this long and keeps what it measured (or the old base).</summary>
    private const long MaxDrainUs = 10_000_000;

    private int _rttSamples;

    /// <summary>Congestion-avoidance growth stops at this multiple of the measured bandwidth-delay product.</summary>
    private const double CapGain = 1.5;

    /// <summary>Loss never cuts the window below this multiple of the measured bandwidth-delay product.</summary>
    private const double FloorGain = 1.25;

    /// <summary>
    /// Random loss is not congestion: a loss episode never cuts the window below 1.1 × the measured
    /// bandwidth-delay product (max delivery rate × minimum smoothed RTT), which keeps the pipe full
    /// while still draining any queue the sender built.
    /// </summary>
    private void ApplyPathFloor()
    {
        if (!_o.PathModel || _minSrttUs == long.MaxValue)
        {
            return;
        }
        long bw = BandwidthMax;
        if (bw <= 0)
        {
            return;
        }
        long floor = Math.Min((long)(FloorGain * bw * _minSrttUs / 1_000_000), _undoState is (long c, long _) ? c : long.MaxValue);
        floor = Math.Min(floor, SavedCwnd());
        if (_cc.Cwnd < floor)
        {
            _cc.Cwnd = floor;
        }
        if (_cc.Ssthresh < floor)
        {
            _cc.Ssthresh = floor;
        }
    }

    private long SavedCwnd() => _undoState switch
    {
        ValueTuple<long, long> t => t.Item1,
        ValueTuple<long, long, double, double> t => t.Item1,
        _ => long.MaxValue,
    };

    /// <summary>Stop growing past 2 × the measured bandwidth-delay product (the client queue is unbounded).</summary>
    private void ApplyPathCap()
    {
        // Only while the RTT shows a standing queue: on a path whose RTT jitter is large next to its base,
        // the minimum smoothed RTT undershoots the mean, and an unconditional cap would stop probing.
        if (!_o.PathModel || _minSrttUs == long.MaxValue || !IsQueueBuilding())
        {
            return;
        }
        long bw = BandwidthMax;
        if (bw <= 0)
        {
            return;
        }
        double gain = _cc.InSlowStart ? 4 : CapGain;
        long cap = Math.Max((long)(gain * bw * _minSrttUs / 1_000_000), (long)_o.InitialWindowSegments * Smss);
        if (_cc.Cwnd > cap)
        {
            _cc.Cwnd = cap;
            if (_cc.Ssthresh > cap && _cc.InSlowStart == false)
            {
                _cc.Ssthresh = cap;
            }
        }
    }
}
