using Smolmix.Stack;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Smolmix.Devices;
using Smolmix.Tcp;
using Smolmix.Wire;

namespace Smolmix;

/// <summary>
/// A userspace TCP/IP stack bound to one packet device: an interface with an IPv4 /32 and an
/// optional IPv6 /128 over a raw-IP medium. Opens TCP connections and listeners, UDP sockets and
/// pings. One lock guards all protocol state; sockets never wait on it for long.
/// </summary>
public sealed partial class NetStack : IAsyncDisposable, IVirtualNetwork
{
    private readonly IPacketOutput _output;
    private readonly long _t0;
    private readonly Random _rng;
    private readonly SecretHash _secret;
    private readonly ILogger _log;
    private readonly Dictionary<FourTuple, TcpConnection> _tcp = new();
    private HashSet<TcpConnection> _waitingForRoom = new();
    private HashSet<TcpConnection> _waitingForRoomSpare = new();
    private readonly byte[] _tx;
    private ushort _ipId;
    private uint _ephemeralCounter;
    private readonly CancellationTokenSource _stop = new();
    private Task? _readLoop;
    private DevicePump? _pump;
    private int _disposed;

    internal NetStack(IPacketOutput output, StackOptions options, IPAddress ipv4, IPAddress? ipv6)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(ipv4);
        options.Validate();
        if (ipv4.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException("Must be an IPv4 address.", nameof(ipv4));
        }
        if (ipv6 is not null && ipv6.AddressFamily != AddressFamily.InterNetworkV6)
        {
            throw new ArgumentException("Must be an IPv6 address.", nameof(ipv6));
        }
        Options = options.Clone();
        _output = output;
        LocalV4 = IpAddr.From(ipv4);
        LocalV6 = ipv6 is null ? null : IpAddr.From(ipv6);
        _t0 = Options.TimeProvider.GetTimestamp();
        _rng = Options.RandomSeed is int seed ? new Random(seed) : new Random();
        _secret = new SecretHash(Options.RandomSeed is int s2 ? new Random(s2 ^ 0x5eed) : null);
        _ipId = (ushort)_rng.Next();
        _tx = new byte[Options.Mtu];
        Metrics = new StackMetrics(Options.MeterFactory);
        _log = (Options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Smolmix.Stack");
        InitReassembly();
    }

    /// <summary>
    /// Starts a stack on <paramref name="device"/> with the interface addresses given. The stack owns
    /// neither the device nor its lifetime: dispose the stack first, then the device.
    /// </summary>
    /// <param name="device">The packet device (TUN, in-memory, the Nym bridge...).</param>
    /// <param name="ipv4">The interface's IPv4 address (a /32).</param>
    /// <param name="ipv6">The interface's IPv6 address (a /128), or null.</param>
    /// <param name="options">Stack options; null for the defaults.</param>
    public static NetStack Start(IPacketDevice device, IPAddress ipv4, IPAddress? ipv6 = null, StackOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        options ??= new StackOptions();
        options = options.Clone();
        options.Mtu = Math.Min(options.Mtu, device.Mtu);
        var pump = new DevicePump(device, options.DeviceQueueLength);
        var stack = new NetStack(pump, options, ipv4, ipv6);
        stack._pump = pump;
        pump.Attach(stack);
        stack._readLoop = Task.Run(() => stack.ReadLoopAsync(device));
        return stack;
    }

    /// <summary>The options in force (a copy; changing it has no effect).</summary>
    public StackOptions Options { get; }

    /// <summary>Counters.</summary>
    public StackMetrics Metrics { get; }

    /// <summary>The interface's IPv4 address.</summary>
    public IPAddress IPv4Address => LocalV4.ToIPAddress();

    /// <summary>The interface's IPv6 address, if any.</summary>
    public IPAddress? IPv6Address => LocalV6?.ToIPAddress();

    internal IpAddr LocalV4 { get; }

    internal IpAddr? LocalV6 { get; }

    internal object Sync { get; } = new();

    /// <summary>
    /// Microseconds since the stack started: the clock read once for the unit of work in hand (a packet, a timer,
    /// an application call) while <see cref="HoldClock"/> is in force, read afresh otherwise. One reading per
    /// packet instead of a dozen (each costs a clock call), and one time for everything a packet causes.
    /// </summary>
    internal long NowMicros => _clockHolds > 0 ? _heldNow : ReadClockMicros();

    private long ReadClockMicros() => (long)(Options.TimeProvider.GetElapsedTime(_t0).Ticks / 10);

    // Under the lock only (so only the lock's holder sees a held reading as "now").
    private int _clockHolds;
    private long _heldNow;

    /// <summary>
    /// Under the lock: reads the clock for the work that follows; <see cref="NowMicros"/> returns that reading
    /// until the matching <see cref="ReleaseClock"/> (call both in try/finally). Holds nest; the outermost reads.
    /// </summary>
    internal void HoldClock()
    {
        // Only the lock's holder may hold the clock: a hold from outside would race on the count and could leave
        // the clock stopped for good.
        System.Diagnostics.Debug.Assert(Monitor.IsEntered(Sync), "HoldClock outside the stack lock");
        if (_clockHolds++ == 0)
        {
            _heldNow = ReadClockMicros();
        }
    }

    /// <summary>Ends a <see cref="HoldClock"/>.</summary>
    internal void ReleaseClock() => _clockHolds--;

    /// <summary>True while the read loop feeds a batch of packets under one hold of the lock (see <see cref="DeferOutput"/>).</summary>
    internal bool IsBatching { get; private set; }

    // Connections that owe output (and a stream wake-up) at the end of the current input batch.
    private readonly List<TcpConnection> _deferred = new();

    /// <summary>
    /// During an input batch: runs <paramref name="c"/>'s output at the end of the batch instead of after each
    /// segment, so a batch of data segments is answered with one ACK and a batch of ACKs with one send (as GRO
    /// does for Linux). The connection calls this once per batch.
    /// </summary>
    internal void DeferOutput(TcpConnection c) => _deferred.Add(c);

    internal bool OutputHasRoom => _output.HasRoom;

    internal int ConnectionCount
    {
        get
        {
            lock (Sync)
            {
                return _tcp.Count;
            }
        }
    }

    internal int MssFor(in IpAddr remote) => Options.Mtu - (remote.IsV6 ? 60 : 40);

    internal bool IsLocal(in IpAddr a) => a == LocalV4 || (LocalV6 is IpAddr v6 && a == v6);

    private async Task ReadLoopAsync(IPacketDevice device)
    {
        try
        {
            bool endOfStream = device is IPooledPacketDevice pooled
                ? await ReadPooledAsync(pooled).ConfigureAwait(false)
                : await ReadCopiedAsync(device).ConfigureAwait(false);
            if (endOfStream)
            {
                OnDeviceClosed(null); // the device closed
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // ObjectDisposedException (the device was disposed under the stack) or a device failure.
            StackLog.ReadLoopEnded(_log, ex);
            OnDeviceClosed(ex);
        }
    }

    // Reads into one buffer of our own (the device copies). True at the device's end of stream, false when the stack stops.
    private async Task<bool> ReadCopiedAsync(IPacketDevice device)
    {
        var buf = new byte[Math.Max(device.Mtu, Options.Mtu) + 64];
        while (!_stop.IsCancellationRequested)
        {
            int n = await device.ReadAsync(buf, _stop.Token).ConfigureAwait(false);
            if (n <= 0)
            {
                return true;
            }
            Input(buf.AsSpan(0, n));
        }
        return false;
    }

    // Takes the device's pooled packets as they are (no copy), in batches, and returns each buffer once Input is
    // done with it: Input takes a span and keeps nothing of it (whatever it holds on to, it copies).
    private async Task<bool> ReadPooledAsync(IPooledPacketDevice device)
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            if (device.TryReadPooled(out var packet))
            {
                InputBatch(device, packet);
                continue;
            }
            if (!await device.WaitToReadAsync(token).ConfigureAwait(false))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// The device under the stack closed or failed (read end of stream, disposed, or a read/write error):
    /// nothing can be sent or received any more, so every connection and socket fails at once with
    /// <see cref="SocketError.NetworkDown"/> (a TCP stream's reads and writes throw an IOException wrapping
    /// that SocketException; a listener's pending and later accepts throw it), and new connects and listens
    /// fail the same way. Counted once in
    /// <see cref="StackMetrics.DeviceClosures"/>. Does nothing once the stack is being disposed.
    /// </summary>
    internal void OnDeviceClosed(Exception? cause)
    {
        if (IsDisposed || _stop.IsCancellationRequested || Interlocked.Exchange(ref _deviceClosed, 1) != 0)
        {
            return;
        }
        Metrics.DeviceClosed();
        StackLog.DeviceClosed(_log, cause);
        lock (Sync)
        {
            foreach (var c in _tcp.Values.ToArray())
            {
                c.FailFromStack(SocketError.NetworkDown);
            }
            CloseAllSockets();
            CloseListeners(SocketError.NetworkDown);
        }
    }

    private int _deviceClosed;

    /// <summary>True once the device under the stack has closed or failed.</summary>
    internal bool DeviceIsClosed => Volatile.Read(ref _deviceClosed) != 0;

    /// <summary>Feeds one inbound IP packet (used by the device loop and by tests).</summary>
    internal void Input(ReadOnlySpan<byte> packet)
    {
        lock (Sync)
        {
            InputGuarded(packet);
        }
    }

    // Under the lock: one packet, with its own clock reading.
    private void InputGuarded(ReadOnlySpan<byte> packet)
    {
        HoldClock();
        try
        {
            InputLocked(packet);
        }
        catch (Exception ex) when (ex is ArgumentException or IndexOutOfRangeException or InvalidOperationException)
        {
            // Defensive: a parser bug must never take the stack down. Count and move on.
            Metrics.Drop(DropReason.BadLength);
            StackLog.ProcessingFailed(_log, ex);
        }
        finally
        {
            ReleaseClock();
        }
    }

    /// <summary>Packets the read loop feeds under one hold of the lock at most (as NAPI's budget of 64).</summary>
    internal const int DefaultInputBatchSize = 64;

    /// <summary>
    /// Feeds <paramref name="first"/> and whatever else the device has ready (up to <see cref="StackOptions.InputBatchSize"/>)
    /// under one hold of the lock, then runs the output the batch caused. Returns every buffer to the pool.
    /// </summary>
    internal void InputBatch(IPooledPacketDevice device, PooledPacket first)
    {
        lock (Sync)
        {
            IsBatching = true;
            try
            {
                var packet = first;
                int n = 0;
                while (true)
                {
                    try
                    {
                        InputGuarded(packet.Span);
                    }
                    finally
                    {
                        packet.Return(); // Input kept nothing of it
                    }
                    if (++n >= Options.InputBatchSize || !device.TryReadPooled(out packet))
                    {
                        break;
                    }
                }
            }
            finally
            {
                IsBatching = false;
                FlushDeferred();
            }
        }
    }

    private void FlushDeferred()
    {
        if (_deferred.Count == 0)
        {
            return;
        }
        HoldClock();
        try
        {
            foreach (var c in _deferred)
            {
                try
                {
                    c.FlushDeferred();
                }
                catch (Exception ex) when (ex is ArgumentException or IndexOutOfRangeException or InvalidOperationException)
                {
                    // As in InputGuarded: a bug in the output a packet caused must not take the stack down.
                    Metrics.Drop(DropReason.BadLength);
                    StackLog.ProcessingFailed(_log, ex);
                }
            }
        }
        finally
        {
            _deferred.Clear();
            ReleaseClock();
        }
    }

    /// <summary>Called by the device pump when the outbound queue has drained below its low mark.</summary>
    internal void OnOutputRoom()
    {
        lock (Sync)
        {
            if (_waitingForRoom.Count == 0)
            {
                return;
            }
            // Swap the set for the spare: a connection that runs out of room again re-registers in the new one.
            var waiting = _waitingForRoom;
            _waitingForRoom = _waitingForRoomSpare;
            _waitingForRoomSpare = waiting;
            HoldClock();
            try
            {
                foreach (var c in waiting)
                {
                    if (c.State != TcpState.Closed)
                    {
                        c.Output();
                        c.ArmTimer();
                    }
                }
            }
            finally
            {
                waiting.Clear();
                ReleaseClock();
            }
        }
    }

    /// <summary>The device pump's writer stopped on an exception.</summary>
    internal void OnDeviceWriteFailed(Exception ex)
    {
        Metrics.DeviceWriteFailed();
        StackLog.WriteLoopEnded(_log, ex);
        OnDeviceClosed(ex);
    }

    internal void WaitForOutputRoom(TcpConnection c) => _waitingForRoom.Add(c);

    internal void RemoveConnection(TcpConnection c)
    {
        if (_tcp.TryGetValue(c.Id, out var existing) && ReferenceEquals(existing, c))
        {
            _tcp.Remove(c.Id);
        }
        _waitingForRoom.Remove(c); // the spare set is empty except while OnOutputRoom walks it
    }

    internal void Emit(ReadOnlySpan<byte> packet)
    {
        Metrics.PacketOut(packet.Length);
        _output.Send(packet);
    }

    /// <summary>Emits a packet built in a pooled buffer; the output owns the buffer from here on.</summary>
    internal void EmitPooled(PooledPacket packet)
    {
        Metrics.PacketOut(packet.Length);
        _output.SendPooled(packet);
    }

    /// <summary>Stops the stack: every connection is aborted, every socket fails.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        lock (Sync)
        {
            foreach (var c in _tcp.Values.ToArray())
            {
                c.Abort();
            }
            CloseAllSockets();
            CloseListeners(null);
        }
        _stop.Cancel();
        if (_readLoop is not null)
        {
            try
            {
                await _readLoop.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                StackLog.ReadLoopStuck(_log);
            }
        }
        if (_pump is not null)
        {
            await _pump.DisposeAsync().ConfigureAwait(false);
        }
        Metrics.Dispose();
        _stop.Dispose();
    }

    internal bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    internal ushort NextIpId() => _ipId++;

    internal Random Rng => _rng;
}
