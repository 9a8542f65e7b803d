using Smolmix.Tcp;
using Smolmix.Wire;

namespace Smolmix;

/// <summary>
/// SYN cookies (RFC 4987 §3.6; the codec is <see cref="SynCookie"/>). A listener keeps at most
/// <see cref="StackOptions.ListenBacklog"/> connections half-open or waiting to be accepted; a SYN that
/// arrives while that is full is answered with a cookie SYN-ACK and no state at all, so a flood of spoofed
/// SYNs (whose SYN-ACKs go nowhere) costs a bounded amount of memory and cannot lock legitimate clients out:
/// their ACK brings the cookie back and opens the connection at once.
/// </summary>
public sealed partial class NetStack
{
    /// <summary>Hash domain of a cookie's per-tuple part (H1).</summary>
    private const byte CookieTupleDomain = 3;

    /// <summary>Hash domain of a cookie's per-tuple-and-counter part (H2).</summary>
    private const byte CookieCounterDomain = 4;

    /// <summary>Hash domain of the timestamp offset of a connection opened from a cookie.</summary>
    private const byte CookieTsDomain = 5;

    /// <summary>Answers <paramref name="syn"/> with a cookie SYN-ACK, keeping nothing (the half-open queue is full).</summary>
    private void SendSynCookie(TcpStreamListener listener, in FourTuple id, in TcpSegmentIn syn)
    {
        long now = NowMicros;
        uint counter = SynCookie.Counter(now);
        bool ts = syn.Options.HasTimestamps;
        uint iss = SynCookie.Encode(CookieHash(id, CookieTupleDomain, null), CookieHash(id, CookieCounterDomain, counter),
            syn.Seq, counter, SynCookie.MssIndex(syn.Options.Mss), ts);
        var opts = TcpOptions.Empty;
        opts.Mss = (ushort)MssFor(id.RemoteAddress);
        if (ts)
        {
            // Window scaling and SACK only where the TSval can carry them back (see SynCookie).
            opts.HasTimestamps = true;
            opts.TsVal = SynCookie.EncodeTsVal(CookieTsNow(id, now), syn.Options.WindowScale, syn.Options.SackPermitted);
            opts.TsEcr = syn.Options.TsVal;
            opts.SackPermitted = syn.Options.SackPermitted;
            if (syn.Options.WindowScale >= 0)
            {
                opts.WindowScale = (sbyte)TcpConnection.WindowScaleFor(Options.TcpMaxReceiveBufferSize);
            }
        }
        listener.OnCookieSent(now);
        Metrics.TcpSynCookieSent();
        // The same window a stateful SYN-ACK offers (never scaled in a SYN).
        ushort window = (ushort)Math.Min(65535, Options.TcpReceiveBufferSize);
        SendTcp(id, iss, syn.Seq + 1, TcpFlags.Syn | TcpFlags.Ack, window, in opts, null, 0, 0);
    }

    /// <summary>
    /// An ACK for no connection reached <paramref name="listener"/> while its cookies may be out: if it carries
    /// a valid cookie, opens the connection and hands it the ACK (data and FIN on it included). True if the
    /// segment was dealt with (opened, or dropped without an answer); false if it carries no valid cookie.
    /// </summary>
    private bool TryOpenFromCookie(TcpStreamListener listener, in FourTuple id, ref TcpSegmentIn seg)
    {
        long now = NowMicros;
        uint iss = seg.Ack - 1;
        uint peerIsn = seg.Seq - 1;
        uint h1 = CookieHash(id, CookieTupleDomain, null);
        if (!SynCookie.TryGetCounter(iss, h1, peerIsn, SynCookie.Counter(now), out uint counter)
            || !SynCookie.TryDecodeData(iss, h1, CookieHash(id, CookieCounterDomain, counter), peerIsn, out int mssIndex, out bool ts))
        {
            return false;
        }
        var peer = TcpOptions.Empty;
        peer.Mss = SynCookie.MssTable[mssIndex];
        if (ts)
        {
            if (!seg.Options.HasTimestamps)
            {
                // Timestamps were negotiated, so the options they carry cannot be recovered: drop (RFC 7323 §3.2).
                Metrics.Drop(DropReason.TcpUnacceptable);
                return true;
            }
            if (!SynCookie.TryDecodeTsEcr(seg.Options.TsEcr, CookieTsNow(id, now), out int windowScale, out bool sack))
            {
                return false;
            }
            peer.HasTimestamps = true;
            peer.TsVal = seg.Options.TsVal;
            peer.WindowScale = (sbyte)windowScale;
            peer.SackPermitted = sack;
        }
        if (!listener.AcceptQueueHasRoom)
        {
            Metrics.Drop(DropReason.QueueFull); // the peer retransmits; the cookie stays valid for a while
            return true;
        }
        var c = new TcpConnection(this, id, iss, CookieTsOffset(id)) { Listener = listener };
        _tcp[id] = c;
        listener.OnSyn(c);
        c.OpenFromCookie(peerIsn, in peer);
        Metrics.TcpSynCookieAccepted();
        c.OnSegment(ref seg);
        return true;
    }

    /// <summary>A keyed hash of the tuple for cookies.</summary>
    private uint CookieHash(in FourTuple id, byte domain, uint? counter)
        => _secret.Hash(id.LocalAddress, id.LocalPort, id.RemoteAddress, id.RemotePort, domain, counter);

    /// <summary>
    /// The timestamp offset of a connection opened from a cookie: derived from the tuple, so the stateless
    /// SYN-ACK and the connection later built from its ACK share one timestamp clock.
    /// </summary>
    private uint CookieTsOffset(in FourTuple id) => CookieHash(id, CookieTsDomain, null);

    /// <summary>That connection's timestamp clock at <paramref name="nowUs"/> (as <see cref="TcpConnection"/> reads its own).</summary>
    private uint CookieTsNow(in FourTuple id, long nowUs) => (uint)(nowUs / 1000) + CookieTsOffset(id);
}
