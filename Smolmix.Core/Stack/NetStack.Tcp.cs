using Smolmix.Stack;
using Smolmix.Devices;
using System.Net;
using System.Net.Sockets;
using Smolmix.Tcp;
using Smolmix.Wire;

namespace Smolmix;

public sealed partial class NetStack
{
    private readonly Dictionary<ushort, TcpStreamListener> _listeners = new();
    private TcpStreamListener? _anyAddressListener;

    private void InputTcp(in IpAddr src, in IpAddr dst, ReadOnlySpan<byte> segment)
    {
        if (!TcpHeader.TryParse(segment, src, dst, out var h, out var reason))
        {
            Metrics.Drop(reason);
            return;
        }
        if (!TcpOptions.TryParse(h.OptionBytes, out var opts))
        {
            Metrics.Drop(DropReason.BadOption);
            return;
        }
        var seg = new TcpSegmentIn
        {
            Seq = h.SequenceNumber,
            Ack = h.AcknowledgmentNumber,
            Flags = h.Flags,
            Window = h.Window,
            Options = opts,
            Payload = h.Payload,
        };
        var id = new FourTuple(dst, h.DestinationPort, src, h.SourcePort);
        if (_tcp.TryGetValue(id, out var conn))
        {
            conn.OnSegment(ref seg);
            return;
        }
        // No connection: a SYN may open one on a listener (RFC 9293 §3.10.7.2); while the listener's half-open
        // queue is full it is answered with a SYN cookie, and an ACK may then carry one back.
        bool syn = seg.Syn && !seg.HasAck && !seg.Rst;
        bool ack = seg.HasAck && !seg.Syn && !seg.Rst;
        if (syn || ack)
        {
            TcpStreamListener? listener = null;
            if (IsLocal(dst))
            {
                _listeners.TryGetValue(h.DestinationPort, out listener);
            }
            listener ??= _anyAddressListener;
            if (listener is not null && syn)
            {
                if (listener.HasBacklogRoom)
                {
                    uint iss = NewIsn(id);
                    var c = new TcpConnection(this, id, iss, (uint)Rng.Next()) { Listener = listener };
                    _tcp[id] = c;
                    listener.OnSyn(c);
                    c.AcceptSyn(ref seg);
                }
                else if (listener.AcceptQueueHasRoom)
                {
                    SendSynCookie(listener, id, in seg);
                }
                else
                {
                    Metrics.Drop(DropReason.QueueFull); // the application does not accept: the peer retransmits its SYN
                }
                return;
            }
            if (listener is not null && listener.CookiesActive(NowMicros))
            {
                if (TryOpenFromCookie(listener, id, ref seg))
                {
                    return;
                }
                Metrics.TcpSynCookieRejected();
            }
        }
        Metrics.Drop(DropReason.NoSocket);
        if (!seg.Rst)
        {
            // RFC 9293 §3.10.7.1: a segment for no connection gets a RST.
            if (seg.HasAck)
            {
                SendRst(id, seg.Ack, 0, false);
            }
            else
            {
                SendRst(id, 0, seg.Seq + (uint)seg.SeqLength, true);
            }
        }
    }

    internal uint NewIsn(in FourTuple id)
    {
        // RFC 6528: ISN = M + F(4-tuple, secret), M a 4 µs clock.
        uint m = (uint)(NowMicros / 4);
        return m + _secret.Hash(id.LocalAddress, id.LocalPort, id.RemoteAddress, id.RemotePort, 1);
    }

    /// <summary>
    /// Builds and emits a TCP segment; payload bytes are copied from <paramref name="data"/>. The segment is built
    /// in a pooled buffer that goes to the output as it is (the only write of the packet on its way out).
    /// </summary>
    internal void SendTcp(in FourTuple id, uint seq, uint ack, TcpFlags flags, ushort window, in TcpOptions opts,
        ByteRing? data, int dataOffset, int dataLength)
    {
        int ipLen = IpHeaderLength(id.RemoteAddress);
        int tcpHeaderLen = TcpHeader.MinLength + opts.EncodedLength;
        int total = ipLen + tcpHeaderLen + dataLength;
        if (total > Options.Mtu)
        {
            throw new InvalidOperationException("Segment exceeds the MTU.");
        }
        byte[] rented = PacketBuffers.Rent(total);
        Span<byte> buf = rented.AsSpan(0, total);
        if (dataLength > 0 && data is not null)
        {
            data.CopyTo(dataOffset, buf.Slice(ipLen + tcpHeaderLen, dataLength));
        }
        TcpHeader.Write(buf[ipLen..], id.LocalPort, id.RemotePort, seq, ack, flags, window, in opts, dataLength, id.LocalAddress, id.RemoteAddress);
        WriteIpHeader(buf, id.LocalAddress, id.RemoteAddress, IpProtocol.Tcp, tcpHeaderLen + dataLength);
        EmitPooled(new PooledPacket(rented, total));
    }

    /// <summary>Sends a RST for <paramref name="id"/>.</summary>
    internal void SendRst(in FourTuple id, uint seq, uint ack, bool withAck)
    {
        var opts = TcpOptions.Empty;
        SendTcp(id, seq, withAck ? ack : 0, withAck ? TcpFlags.Rst | TcpFlags.Ack : TcpFlags.Rst, 0, in opts, null, 0, 0);
    }

    private ushort AllocateEphemeralPort(in IpAddr local, in IpAddr remote, ushort remotePort)
    {
        // RFC 6056 algorithm 3: a keyed hash of the destination picks the starting point.
        const int min = 49152, range = 65536 - 49152;
        uint offset = _secret.Hash(local, 0, remote, remotePort, 2);
        for (int i = 0; i < range; i++)
        {
            ushort port = (ushort)(min + (offset + _ephemeralCounter + (uint)i) % range);
            if (_listeners.ContainsKey(port) || _udp.ContainsKey(port))
            {
                continue;
            }
            if (!_tcp.ContainsKey(new FourTuple(local, port, remote, remotePort)))
            {
                _ephemeralCounter += (uint)i + 1;
                return port;
            }
        }
        throw new SocketException((int)SocketError.AddressAlreadyInUse);
    }

    /// <inheritdoc />
    Task<TcpStream> IVirtualNetwork.ConnectTcpAsync(IPEndPoint remote, CancellationToken cancellationToken)
        => ConnectTcpAsync(remote, null, cancellationToken);

    /// <summary>
    /// Opens a TCP connection to <paramref name="remote"/>. Fails with a <see cref="SocketException"/>:
    /// <see cref="SocketError.ConnectionRefused"/> on RST or ICMP port unreachable, <see cref="SocketError.TimedOut"/>
    /// when nothing answers within the timeout.
    /// </summary>
    /// <param name="remote">The destination.</param>
    /// <param name="timeout">Connect timeout; null uses <see cref="StackOptions.ConnectTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the attempt (the half-open connection is aborted).</param>
    public async Task<TcpStream> ConnectTcpAsync(IPEndPoint remote, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(remote);
        if (remote.Port == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(remote), "Port 0 is not a valid destination.");
        }
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (DeviceIsClosed)
        {
            throw new SocketException((int)SocketError.NetworkDown);
        }
        cancellationToken.ThrowIfCancellationRequested();
        var r = IpAddr.From(remote.Address);
        if (r.IsUnspecified || r.IsMulticastOrBroadcast)
        {
            throw new ArgumentException("Destination must be a unicast address.", nameof(remote));
        }
        IpAddr local;
        if (r.IsV6)
        {
            local = LocalV6 ?? throw new SocketException((int)SocketError.AddressFamilyNotSupported);
        }
        else
        {
            local = LocalV4;
        }
        TcpStream stream;
        TcpConnection conn;
        lock (Sync)
        {
            ushort port = AllocateEphemeralPort(local, r, (ushort)remote.Port);
            var id = new FourTuple(local, port, r, (ushort)remote.Port);
            conn = new TcpConnection(this, id, NewIsn(id), (uint)Rng.Next());
            stream = new TcpStream(this, conn);
            conn.Stream = stream;
            _tcp[id] = conn;
            conn.StartConnect(timeout ?? Options.ConnectTimeout);
        }
        try
        {
            await stream.WaitConnectedAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            stream.Abort();
            throw;
        }
        return stream;
    }

    /// <summary>
    /// Listens for TCP connections on <paramref name="port"/> of the interface addresses, or — with
    /// <paramref name="anyAddress"/> — for connections to any destination address and port (the
    /// transparent mode a tun2socks-style exit needs; only one such listener may exist).
    /// </summary>
    public TcpStreamListener Listen(int port, bool anyAddress = false)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (!anyAddress && (port <= 0 || port > 65535))
        {
            throw new ArgumentOutOfRangeException(nameof(port));
        }
        if (DeviceIsClosed)
        {
            throw new SocketException((int)SocketError.NetworkDown);
        }
        lock (Sync)
        {
            if (anyAddress)
            {
                if (_anyAddressListener is not null)
                {
                    throw new SocketException((int)SocketError.AddressAlreadyInUse);
                }
                _anyAddressListener = new TcpStreamListener(this, 0, true);
                return _anyAddressListener;
            }
            if (_listeners.ContainsKey((ushort)port))
            {
                throw new SocketException((int)SocketError.AddressAlreadyInUse);
            }
            var l = new TcpStreamListener(this, (ushort)port, false);
            _listeners[(ushort)port] = l;
            return l;
        }
    }

    /// <summary>Fails every listener's accepts (<paramref name="error"/>, or disposed when null). Under the lock.</summary>
    private void CloseListeners(SocketError? error)
    {
        foreach (var l in _listeners.Values)
        {
            l.CloseFromStack(error);
        }
        _anyAddressListener?.CloseFromStack(error);
    }

    internal void RemoveListener(TcpStreamListener l)
    {
        if (ReferenceEquals(_anyAddressListener, l))
        {
            _anyAddressListener = null;
        }
        else if (_listeners.TryGetValue((ushort)l.Port, out var x) && ReferenceEquals(x, l))
        {
            _listeners.Remove((ushort)l.Port);
        }
    }

    /// <summary>Diagnostics for the connection behind <paramref name="stream"/>.</summary>
    internal TcpConnectionInfo GetInfo(TcpStream stream)
    {
        lock (Sync)
        {
            return stream.Connection.Info;
        }
    }

    /// <summary>Snapshot of the connection table (call under the lock; tests and simulation).</summary>
    internal IEnumerable<TcpConnection> ConnectionsForTesting() => _tcp.Values.ToArray();
}
