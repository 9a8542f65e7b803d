using System.Net.Sockets;
using Smolmix.Stack;
using Smolmix.Wire;

namespace Smolmix.Tcp;

/// <summary>
/// One TCP connection's complete state (RFC 9293). Every member runs under the owning stack's lock;
/// sockets talk to it through <see cref="TcpStream"/> which takes that lock.
/// </summary>
internal sealed partial class TcpConnection
{
    /// <summary>The first size of the send and receive rings (they grow by doubling as data flows).</summary>
    private const int InitialRingBytes = 2 * 1024;

    /// <summary>The size the rings jump to when data first needs more than <see cref="InitialRingBytes"/>.</summary>
    private const int FirstRingGrowth = 64 * 1024;

    private readonly NetStack _stack;
    private readonly StackOptions _o;
    private readonly ITimer _timer;
    private long _timerArmedAt = long.MaxValue;

    // --- Send sequence space ---
    private uint _iss;
    private uint _sndUna;
    private uint _sndNxt;
    private long _sndWnd;
    private long _maxSndWnd;
    private uint _sndWl1;
    private uint _sndWl2;
    private int _sndWscale;           // peer's shift, applied to windows it sends
    private int _peerMss = 536;
    private readonly ByteRing _sndBuf;
    private uint _sndBufSeq;           // sequence number of _sndBuf byte 0
    private bool _finQueued;
    private bool _finSent;
    private uint _finSeq;
    private readonly RetransmitQueue _rtx = new();
    private long _sackedBytes;
    private long _lostBytes;           // marked lost, not yet retransmitted

    // --- Receive sequence space ---
    private uint _irs;
    private uint _rcvNxt;
    private readonly ByteRing _rcvBuf;
    private readonly ReceiveAssembler _ooo = new();
    private readonly ReceiveWindowGovernor? _governor; // receiver-side window limit (path model only)
    private int _rcvBudget;
    private int _rcvWscale;            // our shift
    private uint _rcvAdvEdge;          // right edge last advertised
    private bool _finReceived;
    private bool _peerFinKnown;
    private uint _peerFinSeq;

    // --- Options negotiated ---
    private bool _sackOk;
    private bool _tsOk;
    private bool _wsOk;
    private uint _tsRecent;
    private readonly uint _tsOffset;

    // --- SACK generation (receiver) ---
    private readonly List<SackBlock> _recentSacks = new(4);
    private SackBlock? _dsack;

    // --- ACK policy ---
    private int _segsSinceAck;
    private bool _ackNow;
    private long _delackDeadline = long.MaxValue;

    // --- Timers (absolute µs; long.MaxValue = not armed) ---
    private long _rtxDeadline = long.MaxValue;
    private RtxTimerMode _rtxMode;
    private long _reorderDeadline = long.MaxValue;
    private long _persistDeadline = long.MaxValue;
    private int _persistBackoff;
    private long _keepaliveDeadline = long.MaxValue;
    private int _keepaliveSent;
    private long _closeDeadline = long.MaxValue;  // TIME-WAIT or FIN-WAIT-2 expiry
    private long _connectDeadline = long.MaxValue;
    private int _synRetries;
    private long _lastActivityUs;

    // --- Loss recovery, RACK-TLP (RFC 8985) ---
    private readonly RttEstimator _rtt;
    private readonly CongestionControl _cc;
    private bool _inRecovery;
    private bool _inLossRecovery;      // after an RTO
    private uint _recoveryPoint;
    private long _rackXmitTime = -1;
    private uint _rackEndSeq;
    private long _rackRtt;
    private int _reoWndMult = 1;
    private int _reoWndPersist;
    private bool _dsackThisRound;
    private bool _tlpOutstanding;
    private object? _undoState;
    private int _undoRetrans;          // retransmissions in this episode not yet shown spurious
    private uint _undoMarker;
    private uint _eifelTsVal;          // TSval of the first retransmission in the episode
    private bool _eifelArmed;
    private bool _cwndLimited;

    // --- Path model: delivery rate per round, windowed max ---
    private long _delivered;
    private uint _roundEnd;
    private long _roundStartDelivered;
    private long _roundStartUs;
    private readonly long[] _bwSamples = new long[10]; // bytes per second
    private int _bwIndex;
    private long _minSrttUs = long.MaxValue;
    private long _minSrttStamp;

    // --- Receiver autotuning ---
    private long _rcvRoundStartUs;
    private long _rcvRoundBytes;

    public TcpConnection(NetStack stack, FourTuple id, uint iss, uint tsOffset)
    {
        _stack = stack;
        _o = stack.Options;
        Id = id;
        _iss = iss;
        _sndUna = iss;
        _sndNxt = iss;
        _sndBufSeq = iss + 1;
        _tsOffset = tsOffset;
        // Rings start small, so an idle connection costs a few KiB rather than the 128 KiB two 64 KiB rings
        // took; the first time data needs more room they jump to 64 KiB and then double (up to their caps).
        _sndBuf = new ByteRing(InitialRingBytes, _o.TcpSendBufferSize, FirstRingGrowth);
        _rcvBudget = _o.TcpReceiveBufferSize;
        _governor = _o.PathModel ? new ReceiveWindowGovernor() : null;
        _rcvBuf = new ByteRing(Math.Min(InitialRingBytes, _rcvBudget), _rcvBudget, FirstRingGrowth);
        _rcvWscale = WindowScaleFor(_o.TcpMaxReceiveBufferSize);
        _rtt = new RttEstimator(_o.InitialRto, _o.MinRto, _o.MaxRto);
        int mss = stack.MssFor(id.RemoteAddress);
        _cc = _o.CongestionControl == CongestionControlAlgorithm.NewReno
            ? new NewRenoCongestionControl(mss, _o.InitialWindowSegments)
            : new CubicCongestionControl(mss, _o.InitialWindowSegments);
        Smss = mss;
        _timer = _o.TimeProvider.CreateTimer(static s => ((TcpConnection)s!).OnTimerCallback(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _lastActivityUs = Now;
    }

    private enum RtxTimerMode
    {
        Rto,
        Tlp,
    }

    /// <summary>The connection's identity.</summary>
    public FourTuple Id { get; }

    /// <summary>Current state.</summary>
    public TcpState State { get; private set; } = TcpState.Closed;

    /// <summary>Effective sender MSS (data bytes per segment, before options).</summary>
    public int Smss { get; private set; }

    /// <summary>The error that ended the connection, if any.</summary>
    public SocketError Error { get; private set; } = SocketError.Success;

    /// <summary>The socket-side handle, if any (null for a connection not yet accepted).</summary>
    public TcpStream? Stream { get; set; }

    /// <summary>The listener that created this connection (passive open), until accepted.</summary>
    public TcpStreamListener? Listener { get; set; }

    /// <summary>Set once the application will never read again (disposed).</summary>
    public bool AppClosed { get; private set; }

    private long Now => _stack.NowMicros;

    private uint TsNow => (uint)(Now / 1000) + _tsOffset;

    /// <summary>Bytes readable by the application.</summary>
    public int Readable => _rcvBuf.Count;

    /// <summary>Bytes of send-buffer space free.</summary>
    public int SendSpace => _o.TcpSendBufferSize - _sndBuf.Count;

    /// <summary>True when the peer's FIN has been received in order (reads past the data return 0).</summary>
    public bool ReceiveClosed => _finReceived;

    /// <summary>True once the connection can carry data.</summary>
    public bool IsSynchronized => State is not (TcpState.Closed or TcpState.Listen or TcpState.SynSent or TcpState.SynReceived);

    /// <summary>Bytes in flight per RFC 6675's pipe.</summary>
    private long Pipe => (long)(uint)(_sndNxt - _sndUna) - _sackedBytes - _lostBytes;

    /// <summary>Diagnostics snapshot.</summary>
    public TcpConnectionInfo Info => new(State, _cc.Cwnd, _cc.Ssthresh, _rtt.SrttUs, _rtt.RttVarUs, _rtt.MinRttUs,
        _rcvBudget, _sndWnd, RetransmittedSegments, SpuriousRetransmits, BandwidthMax, _reoWndMult,
        _minSrttUs == long.MaxValue ? -1 : _minSrttUs, _rtt.BackedOffRtoUs);

    /// <summary>Diagnostics: the options the handshake settled (window shifts each way, SACK, timestamps).</summary>
    internal (int SendShift, int ReceiveShift, bool Sack, bool Timestamps) NegotiatedOptions => (_sndWscale, _rcvWscale, _sackOk, _tsOk);

    /// <summary>Diagnostics: called with each RTT sample fed to the estimator and its source.</summary>
    internal Action<string, long>? RttSampleTrace;

    /// <summary>One-line trace of the sender state (simulation diagnostics).</summary>
    internal string TraceLine() =>
        $"cwnd {_cc.Cwnd / 1000}K ssth {(_cc.Ssthresh == long.MaxValue ? -1 : _cc.Ssthresh / 1000)}K pipe {Pipe / 1000}K flight {(uint)(_sndNxt - _sndUna) / 1000}K sacked {_sackedBytes / 1000}K lost {_lostBytes / 1000}K wnd {_sndWnd / 1000}K srtt {_rtt.SrttUs / 1000} minSrtt {(_minSrttUs == long.MaxValue ? -1 : _minSrttUs / 1000)} bw {BandwidthMax / 1000} rec {(_inRecovery ? "R" : "")}{(_inLossRecovery ? "L" : "")} reo {ReorderWindowUs() / 1000} del {_delivered / 1000}K"
        + (_governor is { } g ? $" | rcv srtt {g.SrttUs / 1000} min {g.MinSrttUs / 1000} rate {g.Rate / 1000}K limit {(g.Limit == long.MaxValue ? -1 : g.Limit / 1000)}K offered {(uint)(_rcvAdvEdge - _rcvNxt) / 1000}K" : "");

    /// <summary>Segments retransmitted over the connection's life.</summary>
    public long RetransmittedSegments { get; private set; }

    /// <summary>Retransmission episodes shown to be spurious and undone.</summary>
    public long SpuriousRetransmits { get; private set; }

    private long BandwidthMax
    {
        get
        {
            long m = 0;
            foreach (long b in _bwSamples)
            {
                m = Math.Max(m, b);
            }
            return m;
        }
    }

    /// <summary>The window shift this stack offers for a receive buffer of at most <paramref name="maxBuffer"/> bytes.</summary>
    internal static int WindowScaleFor(int maxBuffer)
    {
        int shift = 0;
        while (shift < 14 && (65535L << shift) < maxBuffer)
        {
            shift++;
        }
        return shift;
    }

    private void SetState(TcpState state)
    {
        if (State == state)
        {
            return;
        }
        State = state;
        if (state == TcpState.Established)
        {
            _stack.Metrics.TcpEstablished();
        }
        Stream?.Signal();
    }

    /// <summary>Ends the connection with <paramref name="error"/>: removes it and wakes the socket.</summary>
    private void Terminate(SocketError error)
    {
        if (Error == SocketError.Success && error != SocketError.Success)
        {
            Error = error;
        }
        State = TcpState.Closed;
        _rtx.Clear();
        _timer.Dispose();
        _stack.RemoveConnection(this);
        Stream?.Signal();
        Listener?.OnConnectionFailed(this);
    }
}
