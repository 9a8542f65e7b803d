using System.Diagnostics.Metrics;
using Smolmix.Wire;

namespace Smolmix;

/// <summary>
/// Counters of the stack, published on the "Smolmix.Stack" meter and readable directly (tests,
/// diagnostics). Increments happen under the stack lock or with interlocked operations.
/// </summary>
public sealed class StackMetrics : IDisposable
{
    private readonly long[] _drops = new long[Enum.GetValues<DropReason>().Length];
    private long _packetsIn, _packetsOut, _bytesIn, _bytesOut;
    private long _deviceWriteFailures, _tcpRandomLoss, _tcpRetransmits, _tcpRto, _tcpTlp, _tcpRecoveries, _tcpSpurious, _tcpDsack, _tcpEstablished, _tcpZwp, _tcpPmtu, _tcpMinRttProbes, _deviceClosures;
    private long _tcpBytesReceived, _tcpBytesAcked, _tcpBytesQueued;
    private long _tcpIdleBufferReleases, _tcpIdleBufferBytesReleased;
    private long _tcpSynCookiesSent, _tcpSynCookiesAccepted, _tcpSynCookiesRejected;
    private readonly Meter _meter;
    private readonly bool _ownsMeter;

    internal StackMetrics(IMeterFactory? factory)
    {
        _meter = factory?.Create("Smolmix.Stack") ?? new Meter("Smolmix.Stack");
        _ownsMeter = factory is null;
        _meter.CreateObservableCounter("smolmix.ip.packets_in", () => Volatile.Read(ref _packetsIn), description: "IP packets received from the device");
        _meter.CreateObservableCounter("smolmix.ip.packets_out", () => Volatile.Read(ref _packetsOut), description: "IP packets sent to the device");
        _meter.CreateObservableCounter("smolmix.ip.bytes_in", () => Volatile.Read(ref _bytesIn), unit: "By");
        _meter.CreateObservableCounter("smolmix.ip.bytes_out", () => Volatile.Read(ref _bytesOut), unit: "By");
        _meter.CreateObservableCounter("smolmix.ip.drops", ObserveDrops, description: "Inbound packets dropped, by reason");
        _meter.CreateObservableCounter("smolmix.tcp.retransmits", () => Volatile.Read(ref _tcpRetransmits));
        _meter.CreateObservableCounter("smolmix.tcp.rto", () => Volatile.Read(ref _tcpRto));
        _meter.CreateObservableCounter("smolmix.tcp.spurious_undos", () => Volatile.Read(ref _tcpSpurious));
        _meter.CreateObservableCounter("smolmix.tcp.connections_established", () => Volatile.Read(ref _tcpEstablished));
        _meter.CreateObservableCounter("smolmix.tcp.syn_cookies_sent", () => Volatile.Read(ref _tcpSynCookiesSent), description: "SYNs answered with a SYN cookie (a listener's half-open queue was full)");
        _meter.CreateObservableCounter("smolmix.tcp.syn_cookies_accepted", () => Volatile.Read(ref _tcpSynCookiesAccepted), description: "Connections opened from a valid SYN cookie");
        _meter.CreateObservableCounter("smolmix.tcp.syn_cookies_rejected", () => Volatile.Read(ref _tcpSynCookiesRejected), description: "ACKs to a listener with cookies out that carried no valid cookie");
        _meter.CreateObservableCounter("smolmix.tcp.idle_buffer_releases", () => Volatile.Read(ref _tcpIdleBufferReleases), description: "Times an idle TCP connection gave its grown buffers back");
        _meter.CreateObservableCounter("smolmix.tcp.idle_buffer_bytes_released", () => Volatile.Read(ref _tcpIdleBufferBytesReleased), unit: "By", description: "Buffer bytes idle TCP connections gave back");
    }

    private IEnumerable<Measurement<long>> ObserveDrops()
    {
        foreach (DropReason r in Enum.GetValues<DropReason>())
        {
            long v = Volatile.Read(ref _drops[(int)r]);
            if (v > 0)
            {
                yield return new Measurement<long>(v, new KeyValuePair<string, object?>("reason", r.ToString()));
            }
        }
    }

    /// <summary>Inbound packets dropped for <paramref name="reason"/>.</summary>
    public long Drops(DropReason reason) => Volatile.Read(ref _drops[(int)reason]);

    /// <summary>All inbound packets dropped.</summary>
    public long TotalDrops => _drops.Sum();

    /// <summary>IP packets received.</summary>
    public long PacketsIn => Volatile.Read(ref _packetsIn);

    /// <summary>IP packets sent.</summary>
    public long PacketsOut => Volatile.Read(ref _packetsOut);

    /// <summary>Bytes of IP packets received (before validation).</summary>
    public long BytesIn => Volatile.Read(ref _bytesIn);

    /// <summary>Bytes of IP packets sent.</summary>
    public long BytesOut => Volatile.Read(ref _bytesOut);

    /// <summary>Times the device writer stopped on an exception (the device failed).</summary>
    public long DeviceWriteFailures => Volatile.Read(ref _deviceWriteFailures);

    /// <summary>TCP segments retransmitted.</summary>
    public long TcpRetransmits => Volatile.Read(ref _tcpRetransmits);

    /// <summary>TCP retransmission timeouts.</summary>
    public long TcpTimeouts => Volatile.Read(ref _tcpRto);

    /// <summary>TCP tail loss probes sent.</summary>
    public long TcpTailLossProbes => Volatile.Read(ref _tcpTlp);

    /// <summary>TCP fast-recovery episodes entered.</summary>
    public long TcpRecoveries => Volatile.Read(ref _tcpRecoveries);

    /// <summary>Loss episodes judged random (no queue on the path) and answered with a mild backoff.</summary>
    public long TcpRandomLosses => Volatile.Read(ref _tcpRandomLoss);

    /// <summary>Congestion responses undone as spurious (Eifel / D-SACK).</summary>
    public long TcpSpuriousUndos => Volatile.Read(ref _tcpSpurious);

    /// <summary>D-SACK blocks received.</summary>
    public long TcpDsacksReceived => Volatile.Read(ref _tcpDsack);

    /// <summary>Connections that reached ESTABLISHED.</summary>
    public long TcpConnectionsEstablished => Volatile.Read(ref _tcpEstablished);

    /// <summary>Zero-window probes sent.</summary>
    public long TcpZeroWindowProbes => Volatile.Read(ref _tcpZwp);

    /// <summary>Times the packet device under the stack closed or failed (every socket then failed with NetworkDown).</summary>
    public long DeviceClosures => Volatile.Read(ref _deviceClosures);

    /// <summary>Brief drains a TCP sender made to re-measure the path's base RTT (the path model's minimum SRTT had expired).</summary>
    public long TcpMinRttProbes => Volatile.Read(ref _tcpMinRttProbes);

    /// <summary>Times an idle TCP connection gave its grown send/receive buffers back (returning to their initial size).</summary>
    public long TcpIdleBufferReleases => Volatile.Read(ref _tcpIdleBufferReleases);

    /// <summary>Buffer bytes idle TCP connections gave back.</summary>
    public long TcpIdleBufferBytesReleased => Volatile.Read(ref _tcpIdleBufferBytesReleased);

    /// <summary>SYNs answered with a SYN cookie because a listener's half-open queue was full (a SYN flood, or a burst of connects).</summary>
    public long TcpSynCookiesSent => Volatile.Read(ref _tcpSynCookiesSent);

    /// <summary>Connections opened from a valid SYN cookie.</summary>
    public long TcpSynCookiesAccepted => Volatile.Read(ref _tcpSynCookiesAccepted);

    /// <summary>ACKs that reached a listener with SYN cookies out but carried no valid cookie (answered with a RST).</summary>
    public long TcpSynCookiesRejected => Volatile.Read(ref _tcpSynCookiesRejected);

    /// <summary>TCP payload bytes received in window.</summary>
    public long TcpBytesReceived => Volatile.Read(ref _tcpBytesReceived);

    /// <summary>TCP payload bytes acknowledged by peers.</summary>
    public long TcpBytesAcked => Volatile.Read(ref _tcpBytesAcked);

    internal void Drop(DropReason r) => Interlocked.Increment(ref _drops[(int)r]);
    internal void PacketIn(int bytes) { Interlocked.Increment(ref _packetsIn); Interlocked.Add(ref _bytesIn, bytes); }
    internal void PacketOut(int bytes) { Interlocked.Increment(ref _packetsOut); Interlocked.Add(ref _bytesOut, bytes); }
    internal void TcpRetransmit() => Interlocked.Increment(ref _tcpRetransmits);
    internal void DeviceWriteFailed() => Interlocked.Increment(ref _deviceWriteFailures);
    internal void TcpRandomLoss() => Interlocked.Increment(ref _tcpRandomLoss);
    internal void DeviceClosed() => Interlocked.Increment(ref _deviceClosures);
    internal void TcpMinRttProbe() => Interlocked.Increment(ref _tcpMinRttProbes);
    internal void TcpRto() => Interlocked.Increment(ref _tcpRto);
    internal void TcpTailLossProbe() => Interlocked.Increment(ref _tcpTlp);
    internal void TcpRecoveryEpisode() => Interlocked.Increment(ref _tcpRecoveries);
    internal void TcpSpuriousUndo() => Interlocked.Increment(ref _tcpSpurious);
    internal void TcpDsackReceived() => Interlocked.Increment(ref _tcpDsack);
    internal void TcpEstablished() => Interlocked.Increment(ref _tcpEstablished);
    internal void TcpZeroWindowProbe() => Interlocked.Increment(ref _tcpZwp);
    internal void TcpPmtuUpdate() => Interlocked.Increment(ref _tcpPmtu);
    internal void AddTcpBytesReceived(int n) => Interlocked.Add(ref _tcpBytesReceived, n);
    internal void AddTcpBytesAcked(int n) => Interlocked.Add(ref _tcpBytesAcked, n);
    internal void TcpBytesQueued(int n) => Interlocked.Add(ref _tcpBytesQueued, n);
    internal void TcpSynCookieSent() => Interlocked.Increment(ref _tcpSynCookiesSent);
    internal void TcpSynCookieAccepted() => Interlocked.Increment(ref _tcpSynCookiesAccepted);
    internal void TcpSynCookieRejected() => Interlocked.Increment(ref _tcpSynCookiesRejected);
    internal void TcpIdleBufferRelease(int bytes) { Interlocked.Increment(ref _tcpIdleBufferReleases); Interlocked.Add(ref _tcpIdleBufferBytesReleased, bytes); }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
