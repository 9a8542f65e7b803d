using Microsoft.Extensions.Logging;
using System.Diagnostics.Metrics;

namespace Smolmix;

/// <summary>
/// Every tunable of the userspace TCP/IP stack, with defaults chosen for the Nym mixnet path:
/// round trips of 0.5–5 s, heavy reordering, occasional random loss and a few hundred KB/s.
/// </summary>
public sealed class StackOptions
{
    /// <summary>IP MTU of the interface in bytes (default 1420, the IPR exit's). At least 1280.</summary>
    public int Mtu { get; set; } = 1420;

    /// <summary>TCP send buffer per connection (default 2 MiB).</summary>
    public int TcpSendBufferSize { get; set; } = 2 * 1024 * 1024;

    /// <summary>Initial TCP receive buffer, the window first offered (default 256 KiB).</summary>
    public int TcpReceiveBufferSize { get; set; } = 256 * 1024;

    /// <summary>Upper bound for receive-window autotuning (default 4 MiB; window scale 7).</summary>
    public int TcpMaxReceiveBufferSize { get; set; } = 4 * 1024 * 1024;

    /// <summary>Congestion control (default CUBIC).</summary>
    public CongestionControlAlgorithm CongestionControl { get; set; } = CongestionControlAlgorithm.Cubic;

    /// <summary>
    /// When true (default) the congestion controller uses a model of the path (delivery rate and the
    /// minimum smoothed RTT): a loss while the RTT shows no standing queue is judged random — the mixnet
    /// drops packets regardless of load — and costs only a 10 % backoff; a congestive loss never cuts the
    /// window below 1.25 × the measured bandwidth-delay product; while a queue builds, growth stops at
    /// 1.5 × that product so the Nym client's unbounded send queue does not fill; rising RTT ends slow
    /// start. False gives plain loss-based CUBIC / NewReno.
    /// </summary>
    public bool PathModel { get; set; } = true;

    /// <summary>Initial window in segments (default 10, RFC 6928).</summary>
    public int InitialWindowSegments { get; set; } = 10;

    /// <summary>Initial retransmission timeout for data (default 1 s, RFC 6298).</summary>
    public TimeSpan InitialRto { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Initial SYN / SYN-ACK retransmission timeout (default 3 s: survives multi-second RTTs).</summary>
    public TimeSpan SynRto { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Lower bound of the RTO (default 1 s).</summary>
    public TimeSpan MinRto { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Upper bound of the RTO (default 60 s).</summary>
    public TimeSpan MaxRto { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>SYN retransmissions before a connect fails with TimedOut (default 6).</summary>
    public int SynRetries { get; set; } = 6;

    /// <summary>Data retransmissions of one segment before the connection is aborted (default 15).</summary>
    public int MaxRetransmissions { get; set; } = 15;

    /// <summary>Longest time data may stay unacknowledged before the connection is aborted (default 5 min).</summary>
    public TimeSpan UserTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Default connect timeout (default 60 s). Callers may pass a shorter one per connect.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Delayed-ACK timer (default 40 ms); every second full segment is ACKed at once regardless.</summary>
    public TimeSpan DelayedAckTimeout { get; set; } = TimeSpan.FromMilliseconds(40);

    /// <summary>Nagle's algorithm (default off: at 1 s RTT it costs whole seconds).</summary>
    public bool Nagle { get; set; }

    /// <summary>Idle time before keepalive probes start; null (default) disables keepalive.</summary>
    public TimeSpan? KeepAliveIdle { get; set; }

    /// <summary>Interval between keepalive probes (default 75 s).</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(75);

    /// <summary>Unanswered keepalive probes before the connection is aborted (default 9).</summary>
    public int KeepAliveProbes { get; set; } = 9;

    /// <summary>TIME-WAIT duration (default 30 s).</summary>
    public TimeSpan TimeWait { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>FIN-WAIT-2 timeout after the application closed (default 60 s).</summary>
    public TimeSpan FinWait2Timeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Connections a listener holds half-open or waiting to be accepted (default 128). Past it, SYNs are answered
    /// with SYN cookies (no state kept) while the accept queue has room, and dropped when it has none.
    /// </summary>
    public int ListenBacklog { get; set; } = 128;

    /// <summary>Datagrams a UDP socket queues before dropping (default 512).</summary>
    public int UdpReceiveQueueLength { get; set; } = 512;

    /// <summary>Memory bound for IP fragment reassembly (default 4 MiB).</summary>
    public int ReassemblyBufferSize { get; set; } = 4 * 1024 * 1024;

    /// <summary>Time a partial datagram is kept (default 30 s).</summary>
    public TimeSpan ReassemblyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Outbound packets queued toward the device before TCP stops sending new data (default 512).</summary>
    public int DeviceQueueLength { get; set; } = 512;

    /// <summary>
    /// Packets of a pooled device (the in-memory link) the read loop feeds under one hold of the lock,
    /// answering the batch with one round of output (default 64, as NAPI's budget; 1 turns batching off).
    /// </summary>
    internal int InputBatchSize { get; set; } = NetStack.DefaultInputBatchSize;

    /// <summary>Clock for every timer; tests pass a fake.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Logger factory (nothing above Debug ever names a destination).</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Meter factory for the "Smolmix.Stack" counters.</summary>
    public IMeterFactory? MeterFactory { get; set; }

    /// <summary>Seed for ISN/port secrets and timestamp offsets; null (default) uses a cryptographic random.</summary>
    public int? RandomSeed { get; set; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for values out of range.</summary>
    public void Validate()
    {
        Check(Mtu >= 1280 && Mtu <= 65535, nameof(Mtu), "must be 1280..65535");
        Check(TcpSendBufferSize >= 4096, nameof(TcpSendBufferSize), "must be at least 4096");
        Check(TcpReceiveBufferSize >= 4096, nameof(TcpReceiveBufferSize), "must be at least 4096");
        Check(TcpMaxReceiveBufferSize >= TcpReceiveBufferSize && TcpMaxReceiveBufferSize <= 1 << 30, nameof(TcpMaxReceiveBufferSize), "must be ≥ TcpReceiveBufferSize and ≤ 1 GiB");
        Check(InitialWindowSegments is >= 1 and <= 100, nameof(InitialWindowSegments), "must be 1..100");
        Check(MinRto > TimeSpan.Zero && MinRto <= MaxRto, nameof(MinRto), "must be positive and ≤ MaxRto");
        Check(InitialRto > TimeSpan.Zero && SynRto > TimeSpan.Zero, nameof(InitialRto), "must be positive");
        Check(SynRetries is >= 0 and <= 20, nameof(SynRetries), "must be 0..20");
        Check(MaxRetransmissions is >= 1 and <= 50, nameof(MaxRetransmissions), "must be 1..50");
        Check(UserTimeout > TimeSpan.Zero && ConnectTimeout > TimeSpan.Zero, nameof(UserTimeout), "must be positive");
        Check(DelayedAckTimeout >= TimeSpan.Zero && DelayedAckTimeout <= TimeSpan.FromMilliseconds(500), nameof(DelayedAckTimeout), "must be 0..500 ms (RFC 5681)");
        Check(KeepAliveIdle is null || KeepAliveIdle > TimeSpan.Zero, nameof(KeepAliveIdle), "must be positive");
        Check(KeepAliveInterval > TimeSpan.Zero && KeepAliveProbes >= 1, nameof(KeepAliveInterval), "must be positive");
        Check(TimeWait >= TimeSpan.Zero && FinWait2Timeout > TimeSpan.Zero, nameof(TimeWait), "must not be negative");
        Check(ListenBacklog >= 1 && UdpReceiveQueueLength >= 1 && DeviceQueueLength >= 8, nameof(ListenBacklog), "queue lengths must be positive");
        Check(ReassemblyBufferSize >= 65536 && ReassemblyTimeout > TimeSpan.Zero, nameof(ReassemblyBufferSize), "must be at least 64 KiB");
        ArgumentNullException.ThrowIfNull(TimeProvider);
    }

    private static void Check(bool ok, string name, string message)
    {
        if (!ok)
        {
            throw new ArgumentOutOfRangeException(name, message);
        }
    }

    /// <summary>A shallow copy.</summary>
    public StackOptions Clone() => (StackOptions)MemberwiseClone();
}
