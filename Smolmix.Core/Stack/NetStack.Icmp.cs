using Smolmix.Stack;
using System.Net;
using System.Net.NetworkInformation;
using Smolmix.Tcp;
using Smolmix.Wire;

namespace Smolmix;

public sealed partial class NetStack
{
    private readonly Dictionary<(ushort Id, ushort Seq), TaskCompletionSource<long>> _pings = new();
    private ushort _pingSeq;
    private long _icmpTokensStamp;
    private int _icmpTokens = 100;

    private void InputIcmp(bool v6, in IpAddr src, in IpAddr dst, ReadOnlySpan<byte> message)
    {
        if (!IcmpHeader.TryParse(message, v6, src, dst, out var h, out var reason))
        {
            Metrics.Drop(reason == DropReason.Truncated ? DropReason.BadIcmp : reason);
            return;
        }
        byte echoRequest = v6 ? IcmpHeader.V6EchoRequest : IcmpHeader.V4EchoRequest;
        byte echoReply = v6 ? IcmpHeader.V6EchoReply : IcmpHeader.V4EchoReply;
        if (h.Type == echoRequest)
        {
            // Answer pings (from the address they were sent to).
            int ipLen = IpHeaderLength(src);
            int total = ipLen + message.Length;
            if (total > _tx.Length)
            {
                return;
            }
            Span<byte> buf = _tx;
            h.Body.CopyTo(buf[(ipLen + IcmpHeader.Length)..]);
            uint rest = (uint)(h.Identifier << 16 | h.SequenceNumber);
            IcmpHeader.Write(buf[ipLen..], v6, echoReply, 0, rest, h.Body.Length, dst, src);
            WriteIpHeader(buf, dst, src, v6 ? IpProtocol.Icmpv6 : IpProtocol.Icmp, message.Length, dontFragment: false);
            Emit(buf[..total]);
            return;
        }
        if (h.Type == echoReply)
        {
            if (_pings.Remove((h.Identifier, h.SequenceNumber), out var tcs))
            {
                tcs.TrySetResult(NowMicros);
            }
            return;
        }
        bool unreachable = v6 ? h.Type == IcmpHeader.V6DestinationUnreachable : h.Type == IcmpHeader.V4DestinationUnreachable;
        bool tooBig = v6 ? h.Type == IcmpHeader.V6PacketTooBig : unreachable && h.Code == IcmpHeader.V4CodeFragmentationNeeded;
        if (!unreachable && !tooBig)
        {
            return; // time exceeded and others: nothing to do for an end host
        }
        bool portUnreachable = v6 ? unreachable && h.Code == IcmpHeader.V6CodePortUnreachable
                                   : unreachable && (h.Code == IcmpHeader.V4CodePortUnreachable || h.Code == IcmpHeader.V4CodeProtocolUnreachable);
        int? mtu = tooBig ? (v6 ? (int)Math.Min(h.V6Mtu, 65535) : h.V4NextHopMtu) : null;
        DeliverIcmpError(v6, h.Body, portUnreachable, mtu);
    }

    private void DeliverIcmpError(bool v6, ReadOnlySpan<byte> quoted, bool portUnreachable, int? mtu)
    {
        // The quoted packet is one we sent: its source is us, its destination the peer.
        IpAddr qsrc, qdst;
        IpProtocol proto;
        ReadOnlySpan<byte> transport;
        if (!v6)
        {
            if (quoted.Length < Ipv4Header.MinLength + 8 || quoted[0] >> 4 != 4)
            {
                Metrics.Drop(DropReason.BadIcmp);
                return;
            }
            int ihl = (quoted[0] & 0x0F) * 4;
            if (ihl < 20 || quoted.Length < ihl + 8)
            {
                Metrics.Drop(DropReason.BadIcmp);
                return;
            }
            qsrc = IpAddr.FromV4(quoted[12..]);
            qdst = IpAddr.FromV4(quoted[16..]);
            proto = (IpProtocol)quoted[9];
            transport = quoted[ihl..];
        }
        else
        {
            if (quoted.Length < Ipv6Header.FixedLength + 8 || quoted[0] >> 4 != 6)
            {
                Metrics.Drop(DropReason.BadIcmp);
                return;
            }
            qsrc = IpAddr.FromV6(quoted[8..]);
            qdst = IpAddr.FromV6(quoted[24..]);
            proto = (IpProtocol)quoted[6];
            transport = quoted[Ipv6Header.FixedLength..];
        }
        ushort sport = (ushort)(transport[0] << 8 | transport[1]);
        ushort dport = (ushort)(transport[2] << 8 | transport[3]);
        if (proto == IpProtocol.Tcp)
        {
            if (_tcp.TryGetValue(new FourTuple(qsrc, sport, qdst, dport), out var c))
            {
                // RFC 5927: only believe errors whose quoted sequence number is in flight.
                uint seq = (uint)(transport[4] << 24 | transport[5] << 16 | transport[6] << 8 | transport[7]);
                if (c.IsPlausibleIcmpSeq(seq))
                {
                    c.OnIcmpError(portUnreachable, mtu);
                }
            }
        }
        else if (proto == IpProtocol.Udp && portUnreachable)
        {
            if (_udp.TryGetValue(sport, out var s))
            {
                s.OnError(System.Net.Sockets.SocketError.ConnectionRefused);
            }
        }
    }

    private void SendIcmpUnreachable(in IpAddr offender, in IpAddr dst, ReadOnlySpan<byte> wholePacket, bool protocolUnreachable)
    {
        if (offender.IsMulticastOrBroadcast || !IsLocal(dst) || !TakeIcmpToken())
        {
            return;
        }
        bool v6 = offender.IsV6;
        int ipLen = IpHeaderLength(offender);
        int quoteMax = v6 ? 1280 - ipLen - IcmpHeader.Length : wholePacket.Length; // v4: quote whole (bounded by MTU below)
        int quote = Math.Min(wholePacket.Length, Math.Min(quoteMax, _tx.Length - ipLen - IcmpHeader.Length));
        Span<byte> buf = _tx;
        wholePacket[..quote].CopyTo(buf[(ipLen + IcmpHeader.Length)..]);
        byte type = v6 ? IcmpHeader.V6DestinationUnreachable : IcmpHeader.V4DestinationUnreachable;
        byte code = v6 ? IcmpHeader.V6CodePortUnreachable : protocolUnreachable ? IcmpHeader.V4CodeProtocolUnreachable : IcmpHeader.V4CodePortUnreachable;
        IcmpHeader.Write(buf[ipLen..], v6, type, code, 0, quote, dst, offender);
        WriteIpHeader(buf, dst, offender, v6 ? IpProtocol.Icmpv6 : IpProtocol.Icmp, IcmpHeader.Length + quote, dontFragment: false);
        Emit(buf[..(ipLen + IcmpHeader.Length + quote)]);
    }

    private bool TakeIcmpToken()
    {
        long now = NowMicros;
        if (now - _icmpTokensStamp >= 1_000_000)
        {
            _icmpTokensStamp = now;
            _icmpTokens = 100;
        }
        return _icmpTokens-- > 0;
    }

    /// <summary>Sends an ICMP echo request and returns the round-trip time.</summary>
    /// <param name="address">The IPv4 or IPv6 address to ping.</param>
    /// <param name="timeout">How long to wait for the reply.</param>
    /// <param name="payloadSize">Echo data bytes (default 32).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="TimeoutException">No reply within <paramref name="timeout"/>.</exception>
    public async Task<TimeSpan> PingAsync(IPAddress address, TimeSpan timeout, int payloadSize = 32, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentOutOfRangeException.ThrowIfNegative(payloadSize);
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        var dst = IpAddr.From(address);
        var tcs = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        (ushort, ushort) key;
        long sentAt;
        lock (Sync)
        {
            bool v6 = dst.IsV6;
            IpAddr src = v6 ? LocalV6 ?? throw new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.AddressFamilyNotSupported) : LocalV4;
            int ipLen = IpHeaderLength(dst);
            if (ipLen + IcmpHeader.Length + payloadSize > Options.Mtu)
            {
                throw new ArgumentOutOfRangeException(nameof(payloadSize), "Echo does not fit the MTU.");
            }
            ushort id = (ushort)(_secret.Hash(src, 0, src, 0, 3) & 0xFFFF);
            ushort seq = _pingSeq++;
            key = (id, seq);
            _pings[key] = tcs;
            Span<byte> buf = _tx;
            Span<byte> body = buf.Slice(ipLen + IcmpHeader.Length, payloadSize);
            for (int i = 0; i < body.Length; i++)
            {
                body[i] = (byte)('a' + i % 23);
            }
            IcmpHeader.Write(buf[ipLen..], v6, v6 ? IcmpHeader.V6EchoRequest : IcmpHeader.V4EchoRequest, 0, (uint)(id << 16 | seq), payloadSize, src, dst);
            WriteIpHeader(buf, src, dst, v6 ? IpProtocol.Icmpv6 : IpProtocol.Icmp, IcmpHeader.Length + payloadSize, dontFragment: false);
            sentAt = NowMicros;
            Emit(buf[..(ipLen + IcmpHeader.Length + payloadSize)]);
        }
        try
        {
            long receivedAt = await tcs.Task.WaitAsync(timeout, Options.TimeProvider, cancellationToken).ConfigureAwait(false);
            return TimeSpan.FromTicks((receivedAt - sentAt) * 10);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"No echo reply within {timeout.TotalSeconds:0.###} s.");
        }
        finally
        {
            lock (Sync)
            {
                _pings.Remove(key);
            }
        }
    }
}
