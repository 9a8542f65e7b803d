using Smolmix.Stack;
using System.Net;
using System.Net.Sockets;
using Smolmix.Wire;

namespace Smolmix;

public sealed partial class NetStack
{
    private readonly Dictionary<ushort, UdpSocket> _udp = new();
    private UdpSocket? _anyAddressUdp;

    /// <inheritdoc />
    ValueTask<UdpSocket> IVirtualNetwork.BindUdpAsync(int port, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(BindUdp(port));
    }

    /// <summary>
    /// Binds a UDP socket to <paramref name="port"/> (0 picks an ephemeral port), or — with
    /// <paramref name="anyAddress"/> — one socket that receives datagrams for every destination.
    /// </summary>
    public UdpSocket BindUdp(int port = 0, bool anyAddress = false)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (port is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(port));
        }
        lock (Sync)
        {
            if (anyAddress)
            {
                if (_anyAddressUdp is not null)
                {
                    throw new SocketException((int)SocketError.AddressAlreadyInUse);
                }
                _anyAddressUdp = new UdpSocket(this, 0, true);
                return _anyAddressUdp;
            }
            if (port == 0)
            {
                for (int i = 0; i < 16384; i++)
                {
                    ushort p = (ushort)(49152 + Rng.Next(16384));
                    if (!_udp.ContainsKey(p))
                    {
                        port = p;
                        break;
                    }
                }
                if (port == 0)
                {
                    throw new SocketException((int)SocketError.AddressAlreadyInUse);
                }
            }
            if (_udp.ContainsKey((ushort)port))
            {
                throw new SocketException((int)SocketError.AddressAlreadyInUse);
            }
            var s = new UdpSocket(this, (ushort)port, false);
            _udp[(ushort)port] = s;
            return s;
        }
    }

    internal void RemoveUdp(UdpSocket s)
    {
        if (ReferenceEquals(_anyAddressUdp, s))
        {
            _anyAddressUdp = null;
        }
        else if (_udp.TryGetValue((ushort)s.Port, out var x) && ReferenceEquals(x, s))
        {
            _udp.Remove((ushort)s.Port);
        }
    }

    private void CloseAllSockets()
    {
        foreach (var s in _udp.Values)
        {
            s.CloseFromStack();
        }
        _udp.Clear();
        _anyAddressUdp?.CloseFromStack();
        _anyAddressUdp = null;
    }

    private void InputUdp(in IpAddr src, in IpAddr dst, ReadOnlySpan<byte> datagram, ReadOnlySpan<byte> wholePacket)
    {
        if (!UdpHeader.TryParse(datagram, src, dst, out var h, out var reason))
        {
            Metrics.Drop(reason);
            return;
        }
        UdpSocket? s = null;
        if (IsLocal(dst))
        {
            _udp.TryGetValue(h.DestinationPort, out s);
        }
        s ??= _anyAddressUdp;
        if (s is null)
        {
            Metrics.Drop(DropReason.NoSocket);
            SendIcmpUnreachable(src, dst, wholePacket, protocolUnreachable: false);
            return;
        }
        s.Enqueue(h.Payload, src, h.SourcePort, dst, h.DestinationPort);
    }

    internal void SendUdp(UdpSocket socket, ReadOnlySpan<byte> payload, IPEndPoint remote, IPEndPoint? source)
    {
        var r = IpAddr.From(remote.Address);
        lock (Sync)
        {
            IpAddr local;
            ushort localPort;
            if (source is not null)
            {
                local = IpAddr.From(source.Address);
                localPort = (ushort)source.Port;
                if (!socket.AnyAddress && !IsLocal(local))
                {
                    throw new SocketException((int)SocketError.AddressNotAvailable);
                }
            }
            else
            {
                local = r.IsV6 ? LocalV6 ?? throw new SocketException((int)SocketError.AddressFamilyNotSupported) : LocalV4;
                localPort = (ushort)socket.Port;
            }
            if (local.IsV6 != r.IsV6)
            {
                throw new SocketException((int)SocketError.AddressFamilyNotSupported);
            }
            int ipLen = IpHeaderLength(r);
            int total = ipLen + UdpHeader.Length + payload.Length;
            if (UdpHeader.Length + payload.Length > 65535 - (r.IsV6 ? 0 : ipLen))
            {
                throw new SocketException((int)SocketError.MessageSize);
            }
            Span<byte> buf = total <= _tx.Length ? _tx : new byte[total];
            payload.CopyTo(buf[(ipLen + UdpHeader.Length)..]);
            UdpHeader.Write(buf[ipLen..], localPort, (ushort)remote.Port, payload.Length, local, r);
            WriteIpHeader(buf, local, r, IpProtocol.Udp, UdpHeader.Length + payload.Length, dontFragment: false);
            if (total <= Options.Mtu)
            {
                Emit(buf[..total]);
            }
            else if (!Fragmenter.TryFragment(buf[..total], Options.Mtu, (uint)Rng.Next(), Emit, out _, out _))
            {
                throw new SocketException((int)SocketError.MessageSize);
            }
        }
    }
}
