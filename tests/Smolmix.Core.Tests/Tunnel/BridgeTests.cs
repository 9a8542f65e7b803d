using System.Net;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Smolmix.Bridge;
using Smolmix.Nym;
using Smolmix.Tests.Clocks;
using Smolmix.Tests.Nym;
using Smolmix.Wire;

namespace Smolmix.Tests.Tunnel;

public sealed class BridgeTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task QueuedPacketsLeaveAsOneMessageAfterTheFlushDelay()
    {
        var time = new WatchedTimeProvider();
        using var metrics = new TunnelMetrics(null);
        await using var device = NewDevice(time, metrics, new BundlingOptions { FlushDelay = TimeSpan.FromMilliseconds(5) });
        var transport = new FakeTransport(time);
        device.Attach(transport);

        for (int i = 0; i < 10; i++)
        {
            await device.WriteAsync(Packet(60, (byte)i));
        }

        // The bridge has the packets and waits for its flush deadline (a timer of FlushDelay on the fake clock): wait for
        // that timer, not a real sleep, so that the Advance below cannot come before it on a loaded machine.
        await time.WaitForArmedTimerAsync(TimeSpan.FromMilliseconds(5), Bound);
        Assert.Equal(0, transport.Sent.Reader.Count);
        time.Advance(TimeSpan.FromMilliseconds(5));
        (byte[] bundle, int surbs) = await transport.Sent.Reader.ReadAsync().AsTask().WaitAsync(Bound);
        List<ReadOnlyMemory<byte>> packets = PacketBundle.Decode(bundle);
        Assert.Equal(10, packets.Count);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (byte)i), packets.Select(p => p.Span[1]));
        await WaitUntil(() => metrics.MessagesSent == 1);
        Assert.Equal(10, metrics.IpPacketsSent);
        Assert.Equal(1, metrics.MessagesSent);
        Assert.Equal(1, metrics.SphinxPacketsSent);
        Assert.Equal(surbs, metrics.SurbsSent);
    }

    [Theory]
    [InlineData(1, 4, 4)]
    [InlineData(2, 2, 3)]
    public async Task AMessageFillsAtMostTheConfiguredSphinxPayloads(int sphinxPackets, int expectedMessages, int expectedSphinxPackets)
    {
        var time = new FakeTimeProvider();
        using var metrics = new TunnelMetrics(null);
        await using var device = NewDevice(time, metrics, new BundlingOptions { FlushDelay = TimeSpan.FromMilliseconds(5), MaxSphinxPacketsPerMessage = sphinxPackets });
        var room = new TaskCompletionSource();
        var transport = new FakeTransport(time) { Room = room.Task };
        device.Attach(transport);

        // A burst of one flow (more than a sparse flow's bytes), queued while nym-client's lanes are full: bulk
        // data, which fills long messages.
        for (int i = 0; i < 4; i++)
        {
            await device.WriteAsync(Packet(1000, (byte)i));
        }

        room.SetResult();

        var messages = new List<byte[]>();
        using var timeout = new CancellationTokenSource(Bound);
        while (messages.Sum(m => PacketBundle.Decode(m).Count) < 4)
        {
            time.Advance(TimeSpan.FromMilliseconds(5));
            await Task.Delay(5, timeout.Token);
            while (transport.Sent.Reader.TryRead(out (byte[] Bundle, int Surbs) sent))
            {
                Assert.True(transport.DataMessageLength(sent.Bundle.Length) <= SphinxEstimate.MaxForwardMessage(sphinxPackets));
                messages.Add(sent.Bundle);
            }
        }

        Assert.Equal(expectedMessages, messages.Count);
        await WaitUntil(() => metrics.MessagesSent == expectedMessages);
        Assert.Equal(expectedSphinxPackets, metrics.SphinxPacketsSent);
    }

    [Fact]
    public async Task WithoutAFlushDelayWhatIsQueuedGoesAtOnce()
    {
        var time = new FakeTimeProvider();
        using var metrics = new TunnelMetrics(null);
        await using var device = NewDevice(time, metrics, new BundlingOptions { FlushDelay = TimeSpan.Zero });
        var transport = new FakeTransport(time);
        device.Attach(transport);
        await device.WriteAsync(Packet(40, 1));
        (byte[] bundle, _) = await transport.Sent.Reader.ReadAsync().AsTask().WaitAsync(Bound);
        Assert.Single(PacketBundle.Decode(bundle));
    }

    [Fact]
    public async Task ARequestTakesTheInteractiveLaneWhileTheDataLaneIsFull()
    {
        var time = new FakeTimeProvider();
        using var metrics = new TunnelMetrics(null);
        await using var device = NewDevice(time, metrics, new BundlingOptions { FlushDelay = TimeSpan.Zero });
        var transport = new FakeTransport(time) { RoomFor = lane => lane is not (BridgeLane.Data or BridgeLane.Acks) };
        device.Attach(transport);

        // Bare ACKs of a download wait for their lane, which stays full.
        for (int i = 0; i < 5; i++)
        {
            await device.WriteAsync(TcpPacket(4000, payload: 0));
        }

        Assert.Equal(0, transport.Sent.Reader.Count);

        // A request on another connection leaves at once on the interactive lane (the ACKs queued before it may
        // ride along in the same message).
        await device.WriteAsync(TcpPacket(5000, payload: 100));
        (byte[] bundle, _) = await transport.Sent.Reader.ReadAsync().AsTask().WaitAsync(Bound);
        List<ReadOnlyMemory<byte>> packets = PacketBundle.Decode(bundle);
        Assert.Contains(packets, p => System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(p.Span.Slice(20)) == 5000);
        Assert.True(transport.Lanes.TryDequeue(out BridgeLane sentOn));
        Assert.Equal(BridgeLane.Interactive, sentOn);
    }

    [Fact]
    public async Task AcknowledgementsTakeTheirOwnLaneWhileAnUploadFillsTheDataLane()
    {
        var time = new FakeTimeProvider();
        using var metrics = new TunnelMetrics(null);
        await using var device = NewDevice(time, metrics, new BundlingOptions { FlushDelay = TimeSpan.Zero });
        var dataLane = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var transport = new FakeTransport(time) { RoomFor = lane => lane != BridgeLane.Data || dataLane.Task.IsCompleted };
        device.Attach(transport);

        // An upload's backlog (more than a sparse flow's bytes) waits for the full data lane.
        for (int i = 0; i < 6; i++)
        {
            await device.WriteAsync(TcpPacket(4000, payload: 1000));
        }

        Assert.Equal(0, transport.Sent.Reader.Count);

        // A download's bare ACKs do not wait behind it: they leave together, on the ACK lane, without the data.
        for (int i = 0; i < 3; i++)
        {
            await device.WriteAsync(TcpPacket(5000, payload: 0));
        }

        // (The upload's first packet may already have left: alone in the queue it looked like a request.)
        int acks = 0, data = 0;
        using var timeout = new CancellationTokenSource(Bound);
        while (acks < 3)
        {
            (byte[] bundle, _) = await transport.Sent.Reader.ReadAsync(timeout.Token);
            Assert.True(transport.Lanes.TryDequeue(out BridgeLane lane));
            List<ReadOnlyMemory<byte>> packets = PacketBundle.Decode(bundle);
            if (packets.Any(p => p.Length == 40))
            {
                Assert.Equal(BridgeLane.Acks, lane);
                Assert.All(packets, p => Assert.Equal(5000, System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(p.Span.Slice(20))));
                acks += packets.Count;
            }
            else
            {
                data += packets.Count;
            }
        }

        Assert.True(data <= 1, $"{data} upload packets left while the data lane was full");

        // Once the data lane has room the upload goes on, on the data lane.
        dataLane.SetResult();
        while (data < 6)
        {
            if (transport.Sent.Reader.TryRead(out (byte[] Bundle, int Surbs) message))
            {
                Assert.True(transport.Lanes.TryDequeue(out BridgeLane lane));
                Assert.Equal(BridgeLane.Data, lane);
                Assert.All(PacketBundle.Decode(message.Bundle), p => Assert.Equal(1040, p.Length));
                data += PacketBundle.Decode(message.Bundle).Count;
                continue;
            }

            time.Advance(new BundlingOptions().NymClientQueuePollInterval); // the bridge polls a full lane
            await Task.Delay(5, timeout.Token);
        }
    }

    [Fact]
    public async Task AFullQueueMakesWritesWait()
    {
        var time = new FakeTimeProvider();
        using var metrics = new TunnelMetrics(null);
        await using var device = NewDevice(time, metrics, new BundlingOptions { FlushDelay = TimeSpan.Zero, QueueCapacity = 4 });
        var transport = new FakeTransport(time) { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        device.Attach(transport);

        var writes = new List<Task>();
        for (int i = 0; i < 12; i++)
        {
            writes.Add(device.WriteAsync(Packet(1400, (byte)i)).AsTask());
        }

        await Task.Delay(100);
        Assert.Contains(writes, w => !w.IsCompleted); // the sender is stuck on the gate and the queue is full
        transport.Gate.SetResult();
        await Task.WhenAll(writes).WaitAsync(Bound);
    }

    [Fact]
    public async Task NymClientsQueueLengthHoldsSending()
    {
        var time = new FakeTimeProvider();
        using var metrics = new TunnelMetrics(null);
        await using var device = NewDevice(time, metrics, new BundlingOptions { FlushDelay = TimeSpan.Zero });
        var room = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var transport = new FakeTransport(time) { Room = room.Task };
        device.Attach(transport);
        await device.WriteAsync(Packet(40, 1));
        await Task.Delay(50);
        Assert.Equal(0, transport.Sent.Reader.Count);
        room.SetResult();
        await transport.Sent.Reader.ReadAsync().AsTask().WaitAsync(Bound);
    }

    [Fact]
    public async Task PacketsAreDroppedWhileNoSessionIsAttached()
    {
        var time = new FakeTimeProvider();
        using var metrics = new TunnelMetrics(null);
        await using var device = NewDevice(time, metrics, new BundlingOptions { QueueCapacity = 2 });
        for (int i = 0; i < 10; i++)
        {
            await device.WriteAsync(Packet(100, 1)).AsTask().WaitAsync(Bound);
        }

        await WaitUntil(() => metrics.PacketsDropped == 10);
        Assert.False(device.TrySendKeepAlive());
    }

    [Fact]
    public async Task IncomingPacketsAreDeliveredAndKeepaliveRepliesAreNot()
    {
        var time = new FakeTimeProvider();
        using var metrics = new TunnelMetrics(null);
        await using var device = NewDevice(time, metrics, new BundlingOptions { FlushDelay = TimeSpan.Zero });
        var transport = new FakeTransport(time);
        device.Attach(transport);

        Assert.True(device.TrySendKeepAlive());
        (byte[] bundle, _) = await transport.Sent.Reader.ReadAsync().AsTask().WaitAsync(Bound);
        byte[] echo = PacketBundle.Decode(bundle).Single().ToArray();
        Assert.True(Ipv4Header.TryParse(echo, out Ipv4Header ip, out _));
        Assert.Equal(IpAddr.Parse("10.0.0.1"), ip.Destination);
        Assert.Equal(IpAddr.From(transport.LocalIpv4), ip.Source);
        Assert.True(IcmpHeader.TryParse(ip.Payload, false, ip.Source, ip.Destination, out IcmpHeader icmp, out _));
        Assert.Equal(IcmpHeader.V4EchoRequest, icmp.Type);

        await transport.Incoming.Writer.WriteAsync(Reply(echo));
        byte[] data = Packet(80, 42);
        await transport.Incoming.Writer.WriteAsync(data);
        var buffer = new byte[2000];
        int n = await device.ReadAsync(buffer).AsTask().WaitAsync(Bound);
        Assert.Equal(data, buffer.AsSpan(0, n).ToArray());
        Assert.Equal(1, metrics.IpPacketsReceived);
        Assert.Equal(1, metrics.KeepAlivesSent);
        Assert.False(transport.Liveness.EchoesStopped(TimeSpan.Zero));
    }

    [Fact]
    public void SphinxEstimatesMatchTheDocumentedSizes()
    {
        Assert.Equal(1, SphinxEstimate.ForwardPackets(0, 3));  // an empty message holds 3 SURBs
        Assert.Equal(2, SphinxEstimate.ForwardPackets(0, 4));
        Assert.Equal(3, SphinxEstimate.FreeSurbSlots(100));
        Assert.Equal(0, SphinxEstimate.FreeSurbSlots(1450));
        Assert.Equal(1, SphinxEstimate.ReplyPackets(1500 + 25)); // a full exit bundle in one reply packet
        Assert.Equal(2, SphinxEstimate.ReplyPackets(1600));
        Assert.Equal(4, SphinxEstimate.ForwardPackets(16 + 6 + 1420, 10)); // the anchor: a full packet with 10 SURBs
    }

    [Fact]
    public void LivenessCountsUnansweredTimeAndStoppedEchoes()
    {
        var time = new FakeTimeProvider();
        var liveness = new LivenessTracker(time);
        Assert.Equal(TimeSpan.Zero, liveness.Unanswered);
        liveness.OnSent();
        time.Advance(TimeSpan.FromSeconds(7));
        liveness.OnSent();
        Assert.Equal(TimeSpan.FromSeconds(7), liveness.Unanswered);
        liveness.OnHeard();
        Assert.Equal(TimeSpan.Zero, liveness.Unanswered);

        liveness.OnEchoSent();
        Assert.False(liveness.EchoesStopped(TimeSpan.Zero)); // never answered: no evidence the exit answers echoes
        liveness.OnEchoReply();
        for (int i = 0; i < 3; i++)
        {
            liveness.OnEchoSent();
            time.Advance(TimeSpan.FromSeconds(20));
        }

        Assert.True(liveness.EchoesStopped(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void OptionsAreValidatedAndCopied()
    {
        Assert.Throws<ArgumentException>(() => new TunnelOptions { Exits = ["nope"] }.Validate());
        Assert.Throws<ArgumentException>(() => new TunnelOptions { ProtocolVersions = [7] }.Validate());
        Assert.Throws<ArgumentException>(() => new TunnelOptions { ProtocolVersions = [9, 9] }.Validate());
        Assert.Throws<ArgumentException>(() => new TunnelOptions { NymClient = new Uri("http://127.0.0.1:1977") }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new TunnelOptions { KeepAliveInterval = TimeSpan.FromSeconds(61) }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new TunnelOptions { Surbs = new SurbOptions { HighWatermark = 5 } }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new TunnelOptions { Bundling = new BundlingOptions { MaxSphinxPacketsPerMessage = 0 } }.Validate());
        new TunnelOptions { Exits = [Vectors.D1rr] }.Validate();

        var options = new TunnelOptions();
        TunnelOptions copy = options.Clone();
        copy.Surbs.InitialSurbs = 99;
        copy.Stack.Mtu = 1280;
        Assert.Equal(20, options.Surbs.InitialSurbs);
        Assert.Equal(1420, options.Stack.Mtu);
        Assert.Equal(TimeSpan.FromSeconds(4), new ReconnectPolicy().DelayAfter(2));
        Assert.Equal(TimeSpan.FromSeconds(60), new ReconnectPolicy().DelayAfter(40));
    }

    private static NymBridgeDevice NewDevice(TimeProvider time, TunnelMetrics metrics, BundlingOptions options)
        => new(1500, options, metrics, time, NullLogger.Instance);

    private static byte[] Packet(int length, byte tag)
    {
        var packet = new byte[length];
        packet[0] = 0x45;
        packet[1] = tag;
        return packet;
    }

    private static byte[] Reply(byte[] echo)
    {
        byte[] reply = (byte[])echo.Clone();
        Assert.True(Ipv4Header.TryParse(echo, out Ipv4Header ip, out _));
        IpAddr source = ip.Destination, destination = ip.Source;
        int body = echo.Length - Ipv4Header.MinLength - IcmpHeader.Length;
        IcmpHeader.Write(reply.AsSpan(Ipv4Header.MinLength), false, IcmpHeader.V4EchoReply, 0, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(echo.AsSpan(Ipv4Header.MinLength + 4)), body, source, destination);
        Ipv4Header.Write(reply, source, destination, IpProtocol.Icmp, IcmpHeader.Length + body, 1);
        return reply;
    }

    /// <summary>An IPv4/TCP packet (ACK flag, no options) from <paramref name="sourcePort"/> with <paramref name="payload"/> bytes.</summary>
    private static byte[] TcpPacket(ushort sourcePort, int payload)
    {
        var packet = new byte[Smolmix.Tests.Bridge.BridgePackets.Length(payload)];
        Smolmix.Tests.Bridge.BridgePackets.Write(packet, sourcePort, payload);
        return packet;
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(Bound);
        while (!condition())
        {
            await Task.Delay(5, timeout.Token);
        }
    }

    private sealed class FakeTransport : IBridgeTransport
    {
        public FakeTransport(TimeProvider time)
        {
            Surbs = new SurbPolicy(new SurbOptions(), time);
            Surbs.RecordSent(20); // what a connect leaves at the exit
            Liveness = new LivenessTracker(time);
        }

        public IPAddress LocalIpv4 { get; } = IPAddress.Parse("10.0.3.7");

        public SurbPolicy Surbs { get; }

        public LivenessTracker Liveness { get; }

        public Channel<ReadOnlyMemory<byte>> Incoming { get; } = Channel.CreateUnbounded<ReadOnlyMemory<byte>>();

        public ChannelReader<ReadOnlyMemory<byte>> Packets => Incoming.Reader;

        public Channel<(byte[] Bundle, int Surbs)> Sent { get; } = Channel.CreateUnbounded<(byte[], int)>();

        public TaskCompletionSource? Gate { get; init; }

        public Task Room { get; init; } = Task.CompletedTask;

        public int DataMessageLength(int bundleLength) => LpFrame.HeaderLength + IprRequest.DataHeaderLength(bundleLength) + bundleLength;

        public async ValueTask WaitForRoomAsync(BridgeLane lane, CancellationToken cancellationToken) => await Room.WaitAsync(cancellationToken);

        public ValueTask<bool> HasRoomAsync(BridgeLane lane, CancellationToken cancellationToken) => ValueTask.FromResult(Room.IsCompleted && RoomFor(lane));

        /// <summary>Which lanes have room (all by default).</summary>
        public Func<BridgeLane, bool> RoomFor { get; init; } = _ => true;

        /// <summary>The lane of every message sent, in order.</summary>
        public System.Collections.Concurrent.ConcurrentQueue<BridgeLane> Lanes { get; } = new();

        public async ValueTask SendBundleAsync(ReadOnlyMemory<byte> bundle, int replySurbs, BridgeLane lane, CancellationToken cancellationToken)
        {
            if (Gate is { } gate)
            {
                await gate.Task.WaitAsync(cancellationToken);
            }

            Lanes.Enqueue(lane);
            Sent.Writer.TryWrite((bundle.ToArray(), replySurbs));
            Surbs.RecordSent(replySurbs);
        }
    }
}
