namespace Smolmix.Tcp;

/// <summary>
/// Giving grown buffers back when a connection goes idle. The rings (and the retransmission queue's and
/// out-of-order tracker's slot arrays) grow while data flows and would otherwise keep their peak size for the
/// connection's life: a connection that once moved a megabyte and then sits idle in a pool would hold
/// megabytes. Once a structure is empty and the connection has seen no segment and no application read or
/// write for <see cref="BufferReleaseDelayUs"/>, it returns to its initial size; it grows again on demand.
/// </summary>
/// <remarks>
/// The receive window is unaffected. What the stack advertises is bounded by the receive budget, and the
/// receive ring's cap (<see cref="ByteRing.MaxCapacity"/>, at least the budget plus one window-scale unit)
/// never shrinks: only the allocation does, and <see cref="ProcessData"/> grows the ring back to hold any
/// segment inside the window already advertised (exactly as a fresh connection, whose 2 KiB ring sits behind a
/// 64 KiB SYN window). So the right edge of an advertised window never moves left (RFC 9293 §3.8.6) and data
/// within it is never refused for want of room. Out-of-order data would be lost by a shrink, so the receive
/// ring is only shrunk while none is held.
/// </remarks>
internal sealed partial class TcpConnection
{
    /// <summary>The least idle time before grown buffers are released.</summary>
    private const long MinBufferReleaseDelayUs = 5_000_000;

    /// <summary>The most idle time before grown buffers are released (however large the RTO).</summary>
    private const long MaxBufferReleaseDelayUs = 60_000_000;

    /// <summary>When the grown buffers are next checked for release (absolute µs; long.MaxValue = not armed).</summary>
    private long _bufferReleaseDeadline = long.MaxValue;

    /// <summary>When the application last read or wrote bytes (absolute µs).</summary>
    private long _lastAppIoUs;

    /// <summary>
    /// Idle time after which grown buffers go back: four RTOs (a request/response exchange on the path takes a
    /// few round trips; releasing between its bursts would only churn allocations), at least 5 s, at most 60 s.
    /// </summary>
    private long BufferReleaseDelayUs => Math.Clamp(4 * _rtt.RtoUs, MinBufferReleaseDelayUs, MaxBufferReleaseDelayUs);

    /// <summary>True while any per-connection buffer is above its initial size.</summary>
    private bool BuffersGrown => _sndBuf.IsGrown || _rcvBuf.IsGrown || _rtx.IsGrown || _ooo.IsGrown;

    /// <summary>Bytes currently allocated for the connection's buffers: both rings and the slot arrays (diagnostics, tests).</summary>
    internal int BufferBytes => _sndBuf.Capacity + _rcvBuf.Capacity + _rtx.SlotBytes + _ooo.SlotBytes;

    /// <summary>Records application I/O (a read or a write that moved bytes): it keeps the buffers.</summary>
    private void NoteAppIo() => _lastAppIoUs = Now;

    /// <summary>Arms the release check once buffers have grown (called from <see cref="ArmTimer"/>).</summary>
    private void ArmBufferRelease()
    {
        if (_bufferReleaseDeadline == long.MaxValue && BuffersGrown)
        {
            _bufferReleaseDeadline = Math.Max(Math.Max(_lastActivityUs, _lastAppIoUs), Now) + BufferReleaseDelayUs;
        }
    }

    /// <summary>
    /// The release deadline passed: if the connection has been idle for the delay, gives back every grown
    /// structure that is empty; whatever is still grown (data still unacknowledged or unread) is checked again
    /// one delay later.
    /// </summary>
    private void OnBufferReleaseDeadline(long now)
    {
        long delay = BufferReleaseDelayUs;
        long lastUse = Math.Max(_lastActivityUs, _lastAppIoUs);
        if (now - lastUse < delay)
        {
            _bufferReleaseDeadline = lastUse + delay;
            return;
        }
        int released = _sndBuf.ShrinkIfEmpty() + _rtx.ShrinkIfEmpty() + _ooo.ShrinkIfEmpty();
        if (_ooo.RangeCount == 0)
        {
            released += _rcvBuf.ShrinkIfEmpty();
        }
        if (released > 0)
        {
            _stack.Metrics.TcpIdleBufferRelease(released);
        }
        if (BuffersGrown)
        {
            _bufferReleaseDeadline = now + delay;
        }
    }
}
