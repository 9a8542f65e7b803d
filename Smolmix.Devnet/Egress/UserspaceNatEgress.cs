using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Smolmix.Devices;
using Smolmix.Wire;

namespace Smolmix.Devnet.Egress;

/// <summary>
/// The exit's egress without privileges: client packets go into a userspace <see cref="NetStack"/>
/// (10.0.0.1 / fc00::1, the exit's gateway addresses) that accepts TCP and UDP for every
/// destination; each TCP connection and UDP flow is relayed through a host socket to the original
/// destination (or its <see cref="DevnetOptions.AddressMap"/> target), and what the stack emits goes
/// back to the exit, which routes it to the client owning the destination address.
/// </summary>
/// <remarks>
/// A client's SYN is held until the host connect settles, so a refused connect is answered with a
/// RST|ACK — the client sees ConnectionRefused, as behind a kernel exit — and only connects that
/// succeed reach the stack. A connect that times out or fails otherwise drops the SYN.
/// A host connection whose client never completes the handshake — the client resets it (a
/// cancelled connect answers the SYN|ACK with a RST) or stays silent for the host connect timeout —
/// is closed with a reset, so cancelled connects leave nothing open at the host.
/// </remarks>
internal sealed class UserspaceNatEgress : IPacketDevice
{
    /// <summary>The stack's IPv4 address (the real exit's TUN gateway).</summary>
    public static readonly IPAddress GatewayV4 = IPAddress.Parse("10.0.0.1");

    /// <summary>The stack's IPv6 address.</summary>
    public static readonly IPAddress GatewayV6 = IPAddress.Parse("fc00::1");

    private const int LinkMtu = 65535;

    private readonly IPacketDevice _exitSide;
    private readonly IPacketDevice _stackSide;
    private readonly NetStack _stack;
    private readonly Smolmix.TcpStreamListener _listener;
    private readonly UdpSocket _udp;
    private readonly EgressTargetMap _targets;
    private readonly TimeProvider _time;
    private readonly TimeSpan _connectTimeout;
    private readonly TimeSpan _udpIdle;
    private readonly ILogger _logger;
    private readonly long _origin;
    private readonly Lock _gate = new();
    private readonly Dictionary<FlowKey, byte[]> _pendingSyns = [];
    private readonly HashSet<FlowKey> _established = [];
    private readonly Dictionary<FlowKey, Handoff> _ready = [];
    private readonly Dictionary<FlowKey, UdpFlow> _udpFlows = [];
    private readonly ConcurrentDictionary<Task, bool> _tasks = new();
    private readonly Channel<byte[]> _toExit = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(8192) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly CancellationTokenSource _lifetime = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ITimer _udpSweep;
    private long _refused;
    private long _relayed;
    private long _abandoned;
    private int _disposed;

    private UserspaceNatEgress(IPacketDevice exitSide, IPacketDevice stackSide, NetStack stack, EgressTargetMap targets, TimeProvider time, TimeSpan connectTimeout, TimeSpan udpIdle, ILogger logger)
    {
        _exitSide = exitSide;
        _stackSide = stackSide;
        _stack = stack;
        _targets = targets;
        _time = time;
        _connectTimeout = connectTimeout;
        _udpIdle = udpIdle;
        _logger = logger;
        _origin = time.GetTimestamp();
        _listener = stack.Listen(0, anyAddress: true);
        _udp = stack.BindUdp(0, anyAddress: true);
        TimeSpan sweep = udpIdle / 2;
        _udpSweep = time.CreateTimer(static s => ((UserspaceNatEgress)s!).SweepUdp(), this, sweep, sweep);
    }

    /// <inheritdoc />
    public int Mtu => LinkMtu;

    /// <summary>The userspace stack packets enter.</summary>
    public NetStack Stack => _stack;

    /// <summary>Host connects refused (answered with a RST).</summary>
    public long RefusedConnects => Interlocked.Read(ref _refused);

    /// <summary>TCP connections relayed so far.</summary>
    public long RelayedConnections => Interlocked.Read(ref _relayed);

    /// <summary>Host connections closed because the client's handshake was reset or never completed.</summary>
    public long AbandonedHandshakes => Interlocked.Read(ref _abandoned);

    /// <summary>Host connections waiting for their client's handshake to complete.</summary>
    public int PendingHandshakes
    {
        get
        {
            lock (_gate)
            {
                return _ready.Count + _pendingSyns.Count;
            }
        }
    }

    /// <summary>UDP flows open now.</summary>
    public int UdpFlows
    {
        get
        {
            lock (_gate)
            {
                return _udpFlows.Count;
            }
        }
    }

    private TimeSpan Now => _time.GetElapsedTime(_origin);

    /// <summary>Starts the NAT stack and its relays.</summary>
    /// <param name="options">The Devnet's settings (its <see cref="DevnetOptions.AddressMap"/> among them).</param>
    /// <param name="seed">The stack's random seed.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="extraMap">Mappings the Devnet adds (its resolver and hosts); an <see cref="DevnetOptions.AddressMap"/> key for the same endpoint, or for its whole address, wins.</param>
    public static UserspaceNatEgress Start(DevnetOptions options, int seed, ILogger logger, IEnumerable<KeyValuePair<IPEndPoint, IPEndPoint>>? extraMap = null)
    {
        (IPacketDevice exitSide, IPacketDevice stackSide) = InMemoryPacketLink.CreatePair(LinkMtu, 8192);
        var stackOptions = new StackOptions
        {
            Mtu = options.Mtu,
            TimeProvider = options.TimeProvider,
            LoggerFactory = options.LoggerFactory,
            RandomSeed = seed,
            PathModel = false,

            // Packets one at a time: with batched input (one round of ACKs per batch of up to 64 packets)
            // a 16 MiB upload through the instant preset took 1.1-1.3 s instead of 0.31-0.35 s (measured
            // 2026-12-07, commit 48058cb against its parent); why the batch slows this path is not known yet.
            InputBatchSize = 1,
        };
        NetStack stack = NetStack.Start(stackSide, GatewayV4, GatewayV6, stackOptions);
        var map = new Dictionary<IPEndPoint, IPEndPoint>(options.AddressMap);
        foreach ((IPEndPoint from, IPEndPoint to) in extraMap ?? [])
        {
            if (!map.ContainsKey(from) && !map.ContainsKey(new IPEndPoint(from.Address, 0)))
            {
                map[from] = to;
            }
        }

        var targets = new EgressTargetMap(map, options.AllowNonLoopbackEgress);
        var egress = new UserspaceNatEgress(exitSide, stackSide, stack, targets, options.TimeProvider, options.HostConnectTimeout, options.UdpFlowIdleTimeout, logger);
        egress.Track(egress.PumpFromStackAsync());
        egress.Track(egress.AcceptLoopAsync());
        egress.Track(egress.UdpLoopAsync());
        return egress;
    }

    /// <inheritdoc />
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> packet, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (!TcpResetBuilder.TryReadTcp(packet.Span, out IpAddr source, out ushort sourcePort, out IpAddr destination, out ushort destinationPort, out TcpFlags flags, out _, out _)
            || (flags & (TcpFlags.Syn | TcpFlags.Rst)) == 0)
        {
            await WriteToStackAsync(packet, cancellationToken).ConfigureAwait(false);
            return;
        }

        var key = new FlowKey(new IPEndPoint(source.ToIPAddress(), sourcePort), new IPEndPoint(destination.ToIPAddress(), destinationPort));
        if ((flags & (TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Rst)) == TcpFlags.Syn)
        {
            lock (_gate)
            {
                if (!_established.Contains(key))
                {
                    bool connecting = _pendingSyns.ContainsKey(key);
                    _pendingSyns[key] = packet.ToArray();
                    if (!connecting)
                    {
                        Track(ConnectHostAsync(key));
                    }

                    return;
                }
            }
        }

        await WriteToStackAsync(packet, cancellationToken).ConfigureAwait(false);
        if ((flags & TcpFlags.Rst) != 0)
        {
            // A reset before the stack accepted the connection ends the handshake: the host
            // connection made for it will never be relayed. A reset while the host connect is still
            // under way drops the held SYN, so the connect's socket is closed when it settles.
            lock (_gate)
            {
                _pendingSyns.Remove(key);
            }

            Abandon(key, null, "reset by the client");
        }
    }

    /// <inheritdoc />
    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            byte[] packet = await _toExit.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            int n = Math.Min(packet.Length, buffer.Length);
            packet.AsSpan(0, n).CopyTo(buffer.Span);
            return n;
        }
        catch (ChannelClosedException)
        {
            return 0;
        }
    }

    /// <summary>Stops every relay and the stack.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _lifetime.CancelAsync().ConfigureAwait(false);
        await _udpSweep.DisposeAsync().ConfigureAwait(false);
        _listener.Dispose();
        _udp.Dispose();
        lock (_gate)
        {
            foreach (Handoff handoff in _ready.Values)
            {
                handoff.Deadline.Dispose();
                handoff.Socket.Dispose();
            }

            foreach (UdpFlow flow in _udpFlows.Values)
            {
                flow.Dispose();
            }

            _ready.Clear();
            _udpFlows.Clear();
        }

        await _stack.DisposeAsync().ConfigureAwait(false);
        await _stackSide.DisposeAsync().ConfigureAwait(false);
        await _exitSide.DisposeAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_tasks.Keys).WaitAsync(TimeSpan.FromSeconds(5), _time).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException or ObjectDisposedException or SocketException or IOException)
        {
            _logger.LogDebug(ex, "NAT relays stopped.");
        }

        _toExit.Writer.TryComplete();
        _lifetime.Dispose();
    }

    /// <summary>Writes toward the stack; the exit's loop and SYN hand-offs both write, so writes are serialised.</summary>
    private async ValueTask WriteToStackAsync(ReadOnlyMemory<byte> packet, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _exitSide.WriteAsync(packet, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private void Track(Task task)
    {
        _tasks.TryAdd(task, true);
        _ = task.ContinueWith(static (t, s) => ((ConcurrentDictionary<Task, bool>)s!).TryRemove(t, out _), _tasks, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task PumpFromStackAsync()
    {
        var buffer = new byte[LinkMtu];
        try
        {
            while (true)
            {
                int n = await _exitSide.ReadAsync(buffer, _lifetime.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    return;
                }

                await _toExit.Writer.WriteAsync(buffer.AsSpan(0, n).ToArray(), _lifetime.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or ChannelClosedException)
        {
        }
    }

    private async Task ConnectHostAsync(FlowKey key)
    {
        await Task.Yield();
        IPEndPoint? target = _targets.Resolve(key.Destination);
        Socket? socket = null;
        SocketError error = SocketError.AccessDenied;
        if (target is not null)
        {
            socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            using var timeout = new CancellationTokenSource(_connectTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _lifetime.Token);
            try
            {
                await socket.ConnectAsync(target, linked.Token).ConfigureAwait(false);
                error = SocketError.Success;
            }
            catch (SocketException ex)
            {
                error = ex.SocketErrorCode;
            }
            catch (OperationCanceledException)
            {
                error = SocketError.TimedOut;
            }
            catch (ObjectDisposedException)
            {
                error = SocketError.OperationAborted;
            }
        }

        byte[]? syn;
        lock (_gate)
        {
            _pendingSyns.Remove(key, out syn);
            if (error == SocketError.Success && syn is not null && Volatile.Read(ref _disposed) == 0)
            {
                _established.Add(key);
                // The client has the host connect timeout again to complete its handshake.
                _ready[key] = new Handoff(this, key, socket!, _connectTimeout);
            }
        }

        if (error == SocketError.Success && syn is not null && Volatile.Read(ref _disposed) == 0)
        {
            try
            {
                await WriteToStackAsync(syn, _lifetime.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                socket!.Dispose();
            }

            return;
        }

        socket?.Dispose();
        if (syn is not null && error is SocketError.ConnectionRefused or SocketError.AccessDenied)
        {
            // What a host with nothing listening answers (and what a refusing policy looks like).
            Interlocked.Increment(ref _refused);
            byte[] reset = TcpResetBuilder.Build(
                IpAddr.From(key.Destination.Address), (ushort)key.Destination.Port,
                IpAddr.From(key.Client.Address), (ushort)key.Client.Port,
                AcknowledgeFor(syn));
            _logger.LogDebug("Host connect to {Destination} refused ({Error}); resetting the client.", key.Destination, error);
            _toExit.Writer.TryWrite(reset);
        }
        else
        {
            _logger.LogDebug("Host connect to {Destination} failed ({Error}); dropping the SYN.", key.Destination, error);
        }
    }

    private static uint AcknowledgeFor(byte[] syn)
        => TcpResetBuilder.TryReadSyn(syn, out _, out _, out _, out _, out uint acknowledge) ? acknowledge : 0;

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (true)
            {
                TcpStream stream = await _listener.AcceptAsync(_lifetime.Token).ConfigureAwait(false);
                var key = new FlowKey(stream.RemoteEndPoint, stream.LocalEndPoint);
                Handoff? handoff;
                lock (_gate)
                {
                    _ready.Remove(key, out handoff);
                }

                handoff?.Deadline.Dispose();
                Track(RelayAsync(key, stream, handoff?.Socket));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private async Task RelayAsync(FlowKey key, TcpStream stream, Socket? host)
    {
        try
        {
            if (host is null)
            {
                // A connection the stack accepted without our SYN hand-off (a reused four-tuple):
                // connect now, and reset the client if that fails.
                IPEndPoint? target = _targets.Resolve(key.Destination);
                if (target is null)
                {
                    stream.Abort();
                    return;
                }

                host = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                using var timeout = new CancellationTokenSource(_connectTimeout, _time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _lifetime.Token);
                try
                {
                    await host.ConnectAsync(target, linked.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is SocketException or OperationCanceledException)
                {
                    host.Dispose();
                    stream.Abort();
                    return;
                }
            }

            Interlocked.Increment(ref _relayed);
            await TcpRelay.RunAsync(stream, host, _logger, _lifetime.Token).ConfigureAwait(false);
        }
        finally
        {
            lock (_gate)
            {
                _established.Remove(key);
            }
        }
    }

    /// <summary>
    /// Closes (with a reset) the host connection made for a handshake the stack has not accepted yet;
    /// nothing when the stack accepted it meanwhile (the relay owns the socket then).
    /// </summary>
    private void Abandon(FlowKey key, Handoff? expected, string why)
    {
        Handoff? handoff;
        lock (_gate)
        {
            if (!_ready.TryGetValue(key, out handoff) || (expected is not null && !ReferenceEquals(handoff, expected)))
            {
                return;
            }

            _ready.Remove(key);
            _established.Remove(key);
        }

        Interlocked.Increment(ref _abandoned);
        _logger.LogDebug("Host connection for {Client} to {Destination} closed: {Reason}.", key.Client, key.Destination, why);
        handoff.Deadline.Dispose();
        try
        {
            handoff.Socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }

        handoff.Socket.Dispose();
    }

    private async Task UdpLoopAsync()
    {
        var buffer = new byte[LinkMtu];
        try
        {
            while (true)
            {
                UdpReceiveFromResult datagram = await _udp.ReceiveFromAsync(buffer, _lifetime.Token).ConfigureAwait(false);
                var key = new FlowKey(datagram.RemoteEndPoint, datagram.LocalEndPoint);
                UdpFlow? flow;
                lock (_gate)
                {
                    if (!_udpFlows.TryGetValue(key, out flow))
                    {
                        flow = OpenFlow(key);
                        if (flow is null)
                        {
                            continue;
                        }
                    }

                    flow.LastActivity = Now;
                }

                try
                {
                    await flow.Socket.SendAsync(buffer.AsMemory(0, datagram.ReceivedBytes), SocketFlags.None, _lifetime.Token).ConfigureAwait(false);
                }
                catch (SocketException ex)
                {
                    _logger.LogDebug(ex, "A UDP datagram could not be relayed.");
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Opens the host socket of a new flow. Caller holds the lock.</summary>
    private UdpFlow? OpenFlow(FlowKey key)
    {
        IPEndPoint? target = _targets.Resolve(key.Destination);
        if (target is null)
        {
            _logger.LogDebug("UDP to {Destination} is not allowed; dropped.", key.Destination);
            return null;
        }

        var socket = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Connect(target);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            _logger.LogDebug(ex, "Could not open a UDP flow to {Destination}.", key.Destination);
            return null;
        }

        var flow = new UdpFlow(key, socket, Now);
        _udpFlows[key] = flow;
        flow.Receiver = FlowReceiveLoopAsync(flow);
        Track(flow.Receiver);
        return flow;
    }

    private async Task FlowReceiveLoopAsync(UdpFlow flow)
    {
        await Task.Yield();
        var buffer = new byte[LinkMtu];
        CancellationToken stop = flow.Stop.Token;
        while (!stop.IsCancellationRequested)
        {
            int n;
            try
            {
                n = await flow.Socket.ReceiveAsync(buffer, SocketFlags.None, stop).ConfigureAwait(false);
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset)
            {
                // An ICMP port unreachable from the host; later datagrams may still get answers.
                continue;
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            lock (_gate)
            {
                flow.LastActivity = Now;
            }

            try
            {
                await _udp.SendToAsync(buffer.AsMemory(0, n), flow.Key.Client, flow.Key.Destination, stop).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
        }
    }

    private void SweepUdp()
    {
        lock (_gate)
        {
            TimeSpan now = Now;
            foreach (UdpFlow flow in _udpFlows.Values.Where(f => now - f.LastActivity > _udpIdle).ToList())
            {
                _udpFlows.Remove(flow.Key);
                flow.Dispose();
            }
        }
    }

    /// <summary>A host connection waiting for its client's handshake, and the deadline that closes it.</summary>
    private sealed class Handoff
    {
        public Handoff(UserspaceNatEgress owner, FlowKey key, Socket socket, TimeSpan timeout)
        {
            Socket = socket;
            Deadline = owner._time.CreateTimer(
                static s =>
                {
                    var h = (Handoff)s!;
                    h._owner.Abandon(h._key, h, "handshake not completed in time");
                },
                this,
                Timeout.InfiniteTimeSpan,
                Timeout.InfiniteTimeSpan);
            _owner = owner;
            _key = key;
            Deadline.Change(timeout, Timeout.InfiniteTimeSpan);
        }

        private readonly UserspaceNatEgress _owner;
        private readonly FlowKey _key;

        public Socket Socket { get; }

        public ITimer Deadline { get; }
    }
}
