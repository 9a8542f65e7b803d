using System.Buffers.Binary;
using System.Net;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Smolmix.Stack;
using Smolmix.Tcp;
using Smolmix.Wire;

namespace Smolmix.Tests.TcpSegments;

/// <summary>An <see cref="IPacketOutput"/> that records every packet the stack emits.</summary>
internal sealed class CapturingOutput : IPacketOutput
{
    public bool HasRoom { get; set; } = true;

    public Queue<byte[]> Packets { get; } = new();

    public void Send(ReadOnlySpan<byte> packet) => Packets.Enqueue(packet.ToArray());
}

/// <summary>One TCP segment the stack sent, parsed (IP and TCP checksums verified).</summary>
internal sealed class Seg
{
    public required byte[] Raw { get; init; }
    public required ushort SrcPort { get; init; }
    public required ushort DstPort { get; init; }
    public required uint Seq { get; init; }
    public required uint Ack { get; init; }
    public required TcpFlags Flags { get; init; }
    public required ushort Window { get; init; }
    public required byte[] OptionBytes { get; init; }
    public required TcpOptions Options { get; init; }
    public required byte[] Payload { get; init; }
    public required int IpTotalLength { get; init; }

    public bool Syn => (Flags & TcpFlags.Syn) != 0;
    public bool Fin => (Flags & TcpFlags.Fin) != 0;
    public bool Rst => (Flags & TcpFlags.Rst) != 0;
    public bool HasAck => (Flags & TcpFlags.Ack) != 0;
    public int Len => Payload.Length;
    public uint End => Seq + (uint)Payload.Length + (Syn ? 1u : 0u) + (Fin ? 1u : 0u);

    public SackBlock[] Sacks
    {
        get
        {
            var r = new SackBlock[Options.SackCount];
            for (int i = 0; i < r.Length; i++)
            {
                r[i] = Options.GetSack(i);
            }
            return r;
        }
    }

    /// <summary>Flags without PSH (PSH is advisory; tests compare the rest exactly).</summary>
    public TcpFlags Ctl => Flags & ~TcpFlags.Psh;

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append($"{SrcPort}>{DstPort} [{Flags}] seq={Seq} ack={Ack} win={Window} len={Len}");
        if (Options.Mss != 0) { sb.Append($" mss={Options.Mss}"); }
        if (Options.WindowScale >= 0) { sb.Append($" ws={Options.WindowScale}"); }
        if (Options.SackPermitted) { sb.Append(" sackOK"); }
        if (Options.HasTimestamps) { sb.Append($" ts={Options.TsVal}/{Options.TsEcr}"); }
        foreach (var b in Sacks) { sb.Append($" sack[{b.Left}-{b.Right})"); }
        return sb.ToString();
    }
}

/// <summary>
/// Segment-level test bench in the style of smoltcp's TestSocket and gVisor's testing context: our stack
/// (10.0.0.2) on a capturing output and a fake clock; a scripted peer (10.0.0.1) whose segments are crafted
/// byte by byte and fed to <see cref="NetStack.Input"/>. Time moves only through <see cref="Advance"/>.
/// </summary>
internal sealed class TcpHarness : IAsyncDisposable
{
    public static readonly IPAddress LocalIp = IPAddress.Parse("10.0.0.2");
    public static readonly IPAddress PeerIp = IPAddress.Parse("10.0.0.1");
    public static readonly IpAddr Local = IpAddr.From(LocalIp);
    public static readonly IpAddr Peer = IpAddr.From(PeerIp);

    /// <summary>smoltcp's REMOTE_SEQ: data from the peer crosses the 2^32 wrap after 10 000 bytes.</summary>
    public const uint DefaultPeerIss = unchecked((uint)-10001);

    public const uint PeerTsBase = 3_000_000;

    private readonly long _t0;
    private ushort _ipId = 1;
    private bool _sentAny;

    public TcpHarness(Action<StackOptions>? configure = null)
    {
        Time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var o = new StackOptions { TimeProvider = Time, RandomSeed = 1234 };
        configure?.Invoke(o);
        Out = new CapturingOutput();
        Stack = new NetStack(Out, o, LocalIp, null);
        _t0 = Time.GetTimestamp();
    }

    public FakeTimeProvider Time { get; }
    public NetStack Stack { get; }
    public CapturingOutput Out { get; }
    public StackOptions Options => Stack.Options;

    // --- Connection parameters (set by the handshake helpers) ---
    public ushort LocalPort { get; set; }
    public ushort PeerPort { get; set; } = 80;
    public uint PeerIss { get; set; } = DefaultPeerIss;
    public uint OurIss { get; set; }

    /// <summary>Next sequence number the peer will send.</summary>
    public uint PeerNxt { get; set; }

    /// <summary>The peer's current cumulative ACK of our data.</summary>
    public uint PeerAck { get; set; }

    /// <summary>Raw window field the peer sends.</summary>
    public ushort PeerWindow { get; set; } = 65535;

    /// <summary>Whether the peer puts timestamps on its segments.</summary>
    public bool PeerTs { get; set; }

    /// <summary>Latest TSval we sent (the peer echoes it).</summary>
    public uint LastOurTsVal { get; private set; }

    /// <summary>Highest sequence number we have sent (end of the latest segment).</summary>
    public uint OurMax { get; private set; }

    /// <summary>Our MSS for this MTU over IPv4.</summary>
    public int OurMss => Options.Mtu - 40;

    /// <summary>Elapsed fake time since the harness was built.</summary>
    public TimeSpan Elapsed => Time.GetElapsedTime(_t0);

    public uint PeerTsNow => PeerTsBase + (uint)Elapsed.TotalMilliseconds;

    // ------------------------------------------------------------------ time

    /// <summary>Advances the fake clock in 1 ms steps so every timer fires at its own due time.</summary>
    public void Advance(TimeSpan d)
    {
        var step = TimeSpan.FromMilliseconds(1);
        while (d >= step)
        {
            Time.Advance(step);
            d -= step;
        }
        if (d > TimeSpan.Zero)
        {
            Time.Advance(d);
        }
    }

    public void AdvanceMs(double ms) => Advance(TimeSpan.FromMilliseconds(ms));

    /// <summary>Steps 1 ms at a time until the stack emits something; returns how long that took and what was sent.</summary>
    public (TimeSpan After, List<Seg> Segs) AdvanceUntilOutput(TimeSpan max)
    {
        var start = Elapsed;
        var step = TimeSpan.FromMilliseconds(1);
        while (Elapsed - start < max)
        {
            Time.Advance(step);
            if (Out.Packets.Count > 0)
            {
                return (Elapsed - start, Drain());
            }
        }
        return (Elapsed - start, new List<Seg>());
    }

    // ------------------------------------------------------------------ capture

    /// <summary>Everything sent since the last drain.</summary>
    public List<Seg> Drain()
    {
        var list = new List<Seg>();
        while (Out.Packets.TryDequeue(out var p))
        {
            var s = Parse(p);
            if (s is null)
            {
                continue;
            }
            if (s.Options.HasTimestamps)
            {
                LastOurTsVal = s.Options.TsVal;
            }
            if (!s.Rst && (s.Len > 0 || s.Syn || s.Fin) && (!_sentAny || Seq.Gt(s.End, OurMax)))
            {
                OurMax = s.End;
                _sentAny = true;
            }
            list.Add(s);
        }
        return list;
    }

    /// <summary>Raw packets sent since the last drain (including non-TCP).</summary>
    public List<byte[]> DrainRaw()
    {
        var list = new List<byte[]>();
        while (Out.Packets.TryDequeue(out var p))
        {
            list.Add(p);
        }
        return list;
    }

    /// <summary>Exactly one segment must have been sent.</summary>
    public Seg Single()
    {
        var l = Drain();
        Assert.True(l.Count == 1, $"expected one segment, got {l.Count}:\n  " + string.Join("\n  ", l));
        return l[0];
    }

    /// <summary>Nothing may have been sent.</summary>
    public void Silent()
    {
        var l = Drain();
        Assert.True(l.Count == 0, "expected silence, got:\n  " + string.Join("\n  ", l));
    }

    public static Seg? Parse(byte[] p)
    {
        Assert.True(Ipv4Header.TryParse(p, out var ip, out var r), $"bad IPv4 header: {r}");
        if (ip.Protocol != IpProtocol.Tcp)
        {
            return null;
        }
        Assert.Equal(Local, ip.Source);
        Assert.Equal(Peer, ip.Destination);
        Assert.True(ip.DontFragment);
        Assert.True(TcpHeader.TryParse(ip.Payload, ip.Source, ip.Destination, out var h, out r), $"bad TCP header: {r}");
        Assert.True(TcpOptions.TryParse(h.OptionBytes, out var opts), "bad TCP options");
        return new Seg
        {
            Raw = p,
            SrcPort = h.SourcePort,
            DstPort = h.DestinationPort,
            Seq = h.SequenceNumber,
            Ack = h.AcknowledgmentNumber,
            Flags = h.Flags,
            Window = h.Window,
            OptionBytes = h.OptionBytes.ToArray(),
            Options = opts,
            Payload = h.Payload.ToArray(),
            IpTotalLength = ip.TotalLength,
        };
    }

    // ------------------------------------------------------------------ injection

    /// <summary>Builds an IPv4/TCP packet from the peer with any fields and raw option bytes.</summary>
    public byte[] Build(uint seq, uint ack, TcpFlags flags, ushort window, ReadOnlySpan<byte> optionBytes,
        ReadOnlySpan<byte> payload, ushort? srcPort = null, ushort? dstPort = null, int? dataOffsetWords = null)
    {
        Assert.True(optionBytes.Length % 4 == 0 && optionBytes.Length <= 40);
        int tcpLen = 20 + optionBytes.Length + payload.Length;
        var pkt = new byte[20 + tcpLen];
        Span<byte> t = pkt.AsSpan(20);
        BinaryPrimitives.WriteUInt16BigEndian(t, srcPort ?? PeerPort);
        BinaryPrimitives.WriteUInt16BigEndian(t[2..], dstPort ?? LocalPort);
        BinaryPrimitives.WriteUInt32BigEndian(t[4..], seq);
        BinaryPrimitives.WriteUInt32BigEndian(t[8..], ack);
        t[12] = (byte)((dataOffsetWords ?? (20 + optionBytes.Length) / 4) << 4);
        t[13] = (byte)flags;
        BinaryPrimitives.WriteUInt16BigEndian(t[14..], window);
        optionBytes.CopyTo(t[20..]);
        payload.CopyTo(t[(20 + optionBytes.Length)..]);
        ulong sum = InternetChecksum.PseudoHeader(Peer, Local, IpProtocol.Tcp, tcpLen);
        BinaryPrimitives.WriteUInt16BigEndian(t[16..], InternetChecksum.Finish(InternetChecksum.Add(t, sum)));
        Ipv4Header.Write(pkt, Peer, Local, IpProtocol.Tcp, tcpLen, _ipId++);
        return pkt;
    }

    public static byte[] Encode(in TcpOptions o)
    {
        var buf = new byte[60];
        int n = o.WriteTo(buf);
        return buf[..n];
    }

    public void Inject(byte[] packet) => Stack.Input(packet);

    /// <summary>Sends one segment from the peer.</summary>
    public void Send(uint seq, uint ack, TcpFlags flags, ushort? window = null, TcpOptions? options = null,
        ReadOnlySpan<byte> payload = default, ushort? srcPort = null, ushort? dstPort = null)
    {
        var o = options ?? DefaultOptions();
        Inject(Build(seq, ack, flags, window ?? PeerWindow, Encode(o), payload, srcPort, dstPort));
    }

    /// <summary>Options for a non-SYN peer segment: timestamps if negotiated, plus SACK blocks.</summary>
    public TcpOptions DefaultOptions(uint? tsVal = null, params SackBlock[] sacks)
    {
        var o = TcpOptions.Empty;
        if (PeerTs)
        {
            o.HasTimestamps = true;
            o.TsVal = tsVal ?? PeerTsNow;
            o.TsEcr = LastOurTsVal;
        }
        foreach (var b in sacks)
        {
            o.AddSack(b);
        }
        return o;
    }

    /// <summary>The options a Linux peer offers in its SYN / SYN-ACK.</summary>
    public TcpOptions SynOptions(ushort mss = 1460, bool sack = true, bool ts = true, sbyte wscale = 7)
    {
        var o = TcpOptions.Empty;
        o.Mss = mss;
        o.SackPermitted = sack;
        if (ts)
        {
            o.HasTimestamps = true;
            o.TsVal = PeerTsNow;
            o.TsEcr = LastOurTsVal;
        }
        o.WindowScale = wscale;
        return o;
    }

    /// <summary>Peer data at <paramref name="seq"/> (default: in order, advancing PeerNxt).</summary>
    public void SendData(byte[] data, uint? seq = null, TcpFlags extra = TcpFlags.None, uint? tsVal = null, ushort? window = null, uint? ack = null)
    {
        uint s = seq ?? PeerNxt;
        Send(s, ack ?? PeerAck, TcpFlags.Ack | TcpFlags.Psh | extra, window, DefaultOptions(tsVal), data);
        uint end = s + (uint)data.Length + ((extra & TcpFlags.Fin) != 0 ? 1u : 0u);
        if (Seq.Le(s, PeerNxt) && Seq.Gt(end, PeerNxt))
        {
            PeerNxt = end;
        }
    }

    /// <summary>A pure ACK from the peer (cumulative <paramref name="ack"/>, optional SACK blocks).</summary>
    public void SendAck(uint ack, ushort? window = null, uint? tsVal = null, params SackBlock[] sacks)
    {
        PeerAck = ack;
        Send(PeerNxt, ack, TcpFlags.Ack, window, DefaultOptions(tsVal, sacks));
    }

    public void SendFin()
    {
        Send(PeerNxt, PeerAck, TcpFlags.Fin | TcpFlags.Ack);
        PeerNxt++;
    }

    public static byte[] Bytes(int n, int seed = 0)
    {
        var b = new byte[n];
        for (int i = 0; i < n; i++)
        {
            b[i] = (byte)(i * 7 + seed * 13 + 1);
        }
        return b;
    }

    // ------------------------------------------------------------------ handshakes

    /// <summary>Starts an active open and returns the SYN without answering it.</summary>
    public (Task<TcpStream> Connect, Seg Syn) StartConnect(TimeSpan? timeout = null)
    {
        var task = Stack.ConnectTcpAsync(new IPEndPoint(PeerIp, PeerPort), timeout);
        var syn = Single();
        Assert.Equal(TcpFlags.Syn, syn.Flags);
        OurIss = syn.Seq;
        LocalPort = syn.SrcPort;
        return (task, syn);
    }

    /// <summary>
    /// Active open to the peer: SYN, then (after <paramref name="rtt"/>) the peer's SYN-ACK with
    /// <paramref name="peerOptions"/> (default: Linux's MSS 1460, SACK, timestamps, wscale 7), then our ACK.
    /// </summary>
    public async Task<TcpStream> ConnectAsync(TcpOptions? peerOptions = null, TimeSpan? rtt = null, ushort synAckWindow = 65535)
    {
        var (task, _) = StartConnect();
        Advance(rtt ?? TimeSpan.FromMilliseconds(100));
        var o = peerOptions ?? SynOptions();
        PeerTs = o.HasTimestamps;
        Send(PeerIss, OurIss + 1, TcpFlags.Syn | TcpFlags.Ack, synAckWindow, o);
        var ack = Single();
        Assert.Equal(TcpFlags.Ack, ack.Flags);
        Assert.Equal(OurIss + 1, ack.Seq);
        Assert.Equal(PeerIss + 1, ack.Ack);
        PeerNxt = PeerIss + 1;
        PeerAck = OurIss + 1;
        return await task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>
    /// Passive open: listens on <paramref name="port"/>, the peer sends SYN (options <paramref name="peerOptions"/>),
    /// we answer SYN-ACK, the peer ACKs after <paramref name="rtt"/>; returns the accepted stream and our SYN-ACK.
    /// </summary>
    public async Task<(TcpStream Stream, TcpStreamListener Listener, Seg SynAck)> AcceptAsync(TcpOptions? peerOptions = null, ushort port = 80, TimeSpan? rtt = null)
    {
        var listener = Stack.Listen(port);
        LocalPort = port;
        PeerPort = 40000;
        var o = peerOptions ?? SynOptions();
        PeerTs = o.HasTimestamps;
        Send(PeerIss, 0, TcpFlags.Syn, 65535, o);
        var synAck = Single();
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, synAck.Flags);
        OurIss = synAck.Seq;
        PeerNxt = PeerIss + 1;
        Advance(rtt ?? TimeSpan.FromMilliseconds(100));
        SendAck(OurIss + 1);
        Silent();
        var s = await listener.AcceptAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        return (s, listener, synAck);
    }

    // ------------------------------------------------------------------ app side

    public static TcpConnection Conn(TcpStream s) => s.Connection;

    public TcpConnectionInfo Info(TcpStream s) => Stack.GetInfo(s);

    public TcpState State(TcpStream s)
    {
        lock (Stack.Sync)
        {
            return s.Connection.State;
        }
    }

    public int Readable(TcpStream s)
    {
        lock (Stack.Sync)
        {
            return s.Connection.Readable;
        }
    }

    /// <summary>Reads everything readable now (never waits).</summary>
    public byte[] ReadAvailable(TcpStream s, int max = int.MaxValue)
    {
        int n = Math.Min(Readable(s), max);
        if (n == 0)
        {
            return Array.Empty<byte>();
        }
        var buf = new byte[n];
        var t = s.ReadAsync(buf.AsMemory());
        Assert.True(t.IsCompleted);
        int got = t.Result;
        return buf[..got];
    }

    /// <summary>Writes without waiting (the send buffer must have room).</summary>
    public void Write(TcpStream s, byte[] data)
    {
        var t = s.WriteAsync(data.AsMemory());
        Assert.True(t.IsCompleted, "write did not complete at once");
        t.GetAwaiter().GetResult();
    }

    public TcpConnection? OnlyConnection()
    {
        lock (Stack.Sync)
        {
            return Stack.ConnectionsForTesting().SingleOrDefault();
        }
    }

    public async ValueTask DisposeAsync() => await Stack.DisposeAsync();
}
