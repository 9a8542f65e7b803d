using System.Buffers;
using System.Buffers.Binary;
using Smolmix.Bridge;

namespace Smolmix.Tests.Bridge;

public sealed class FairPacketQueueTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Fact]
    public void ARequestOvertakesABulkBacklog()
    {
        var queue = new FairPacketQueue(256);
        for (int i = 0; i < 100; i++)
        {
            Assert.True(queue.TryEnqueue(Tcp(sourcePort: 1000, payload: 1000, marker: (byte)i), 1040));
        }

        // Two packets spend the bulk flow's first quantum: it goes to the old list. A burst is not urgent even on
        // the new list.
        Assert.True(queue.TryDequeue(out byte[] first, out _, out bool firstUrgent));
        Assert.False(firstUrgent);
        ArrayPool<byte>.Shared.Return(first);
        Assert.True(queue.TryDequeue(out byte[] second, out _, out _));
        ArrayPool<byte>.Shared.Return(second);

        Assert.False(queue.NextIsUrgent);
        Assert.True(queue.TryEnqueue(Tcp(sourcePort: 2000, payload: 100, marker: 0xEE), 140));
        Assert.True(queue.NextIsUrgent);
        Assert.True(queue.TryDequeue(out byte[] next, out int length, out bool urgent));
        Assert.Equal(140, length);
        Assert.True(urgent);
        Assert.Equal(2000, BinaryPrimitives.ReadUInt16BigEndian(next.AsSpan(20)));
        ArrayPool<byte>.Shared.Return(next);
        queue.Drain();
    }

    [Fact]
    public void BacklogsShareBytesFairly()
    {
        var queue = new FairPacketQueue(4096);
        for (int i = 0; i < 1000; i++)
        {
            Assert.True(queue.TryEnqueue(Tcp(sourcePort: 1000, payload: 1360), 1400));
            Assert.True(queue.TryEnqueue(Tcp(sourcePort: 2000, payload: 660), 700));
        }

        long a = 0, b = 0;
        for (int i = 0; i < 600; i++)
        {
            Assert.True(queue.TryDequeue(out byte[] packet, out int length, out _));
            if (BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(20)) == 1000)
            {
                a += length;
            }
            else
            {
                b += length;
            }

            ArrayPool<byte>.Shared.Return(packet);
        }

        // Byte-fair, not packet-fair: both flows got within one quantum per round of half the bytes.
        double share = a / (double)(a + b);
        Assert.InRange(share, 0.45, 0.55);
        queue.Drain();
    }

    [Fact]
    public void BareAcknowledgementsAreNotUrgent()
    {
        Assert.True(FairPacketQueue.IsPureAck(Tcp(1000, payload: 0)));
        Assert.False(FairPacketQueue.IsPureAck(Tcp(1000, payload: 1)));
        Assert.False(FairPacketQueue.IsPureAck(Tcp(1000, payload: 0, flags: 0x12))); // SYN+ACK
        Assert.False(FairPacketQueue.IsPureAck(Tcp(1000, payload: 0, flags: 0x11))); // FIN+ACK
        Assert.False(FairPacketQueue.IsPureAck(Tcp(1000, payload: 0, flags: 0x14))); // RST+ACK
        byte[] udp = Tcp(1000, payload: 8);
        udp[9] = 17;
        Assert.False(FairPacketQueue.IsPureAck(udp));
        Assert.False(FairPacketQueue.IsPureAck(new byte[10]));

        var queue = new FairPacketQueue(16);
        Assert.True(queue.TryEnqueue(Tcp(3000, payload: 0), 40));
        Assert.False(queue.NextIsUrgent);
        Assert.True(queue.TryDequeue(out byte[] ack, out _, out bool urgent));
        Assert.False(urgent);
        ArrayPool<byte>.Shared.Return(ack);
    }

    [Fact]
    public void AcknowledgementsAtFlowHeadsAreTakenOutOfOrder()
    {
        var queue = new FairPacketQueue(16);
        Assert.True(queue.TryEnqueue(Tcp(1000, payload: 1000), 1040)); // an upload's data, first in fair order
        Assert.True(queue.TryEnqueue(Tcp(1000, payload: 0), 40)); // an ACK behind it: not at a head
        Assert.False(queue.HasAckAtHead);
        Assert.False(queue.TryDequeueAck(out _, out _));

        Assert.True(queue.TryEnqueue(Tcp(2000, payload: 0, marker: 1), 40)); // a download's ACKs
        Assert.True(queue.TryEnqueue(Tcp(2000, payload: 0, marker: 2), 40));
        Assert.True(queue.HasAckAtHead);
        Assert.False(queue.HoldsOnlyAcks);
        for (int i = 0; i < 2; i++)
        {
            Assert.True(queue.TryDequeueAck(out byte[] ack, out int length));
            Assert.Equal(40, length);
            Assert.Equal(2000, BinaryPrimitives.ReadUInt16BigEndian(ack.AsSpan(20)));
            ArrayPool<byte>.Shared.Return(ack);
        }

        Assert.False(queue.HasAckAtHead);
        Assert.Equal(2, queue.Count);

        // Fair order goes on with what is left: the data, then the ACK that was behind it.
        Assert.True(queue.TryDequeue(out byte[] data, out int dataLength, out _, out bool dataIsAck));
        Assert.Equal(1040, dataLength);
        Assert.False(dataIsAck);
        ArrayPool<byte>.Shared.Return(data);
        Assert.True(queue.HoldsOnlyAcks);
        Assert.True(queue.HasAckAtHead);
        Assert.True(queue.TryDequeueAck(out byte[] last, out _));
        ArrayPool<byte>.Shared.Return(last);
        Assert.Equal(0, queue.Count);
        Assert.False(queue.HoldsOnlyAcks);
        Assert.False(queue.TryDequeue(out _, out _, out _));
    }

    [Fact]
    public void ABulkFlowWhoseQueueEmptiedIsNotARequestWhenItComesBack()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var queue = new FairPacketQueue(64, time);

        // An upload's burst leaves (the send loop takes it all), the flow's queue empties and the flow is retired.
        for (int i = 0; i < 4; i++)
        {
            Assert.True(queue.TryEnqueue(Tcp(1000, payload: 1000), 1040));
        }

        DequeueAll(queue);

        // Its next burst, fed by the next acknowledgement, starts with one packet: not a request.
        Assert.True(queue.TryEnqueue(Tcp(1000, payload: 1000), 1040));
        Assert.False(queue.NextIsUrgent);
        Assert.True(queue.TryDequeue(out byte[] packet, out _, out bool urgent));
        Assert.False(urgent);
        ArrayPool<byte>.Shared.Return(packet);
        DequeueAll(queue);

        // A flow that only ever sent a small request stays sparse.
        Assert.True(queue.TryEnqueue(Tcp(2000, payload: 100), 140));
        DequeueAll(queue);
        Assert.True(queue.TryEnqueue(Tcp(2000, payload: 100), 140));
        Assert.True(queue.NextIsUrgent);
        DequeueAll(queue);

        // After the memory the bulk flow is new again.
        time.Advance(FairPacketQueue.BulkMemory);
        Assert.True(queue.TryEnqueue(Tcp(1000, payload: 100), 140));
        Assert.True(queue.NextIsUrgent);
        queue.Drain();

        static void DequeueAll(FairPacketQueue queue)
        {
            while (queue.TryDequeue(out byte[] buffer, out _, out _))
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    [Fact]
    public async Task AFullQueueRefusesThenMakesRoom()
    {
        var queue = new FairPacketQueue(4);
        for (int i = 0; i < 4; i++)
        {
            Assert.True(queue.TryEnqueue(Tcp((ushort)(1000 + i), payload: 10), 50));
        }

        byte[] extra = Tcp(5000, payload: 10);
        Assert.False(queue.TryEnqueue(extra, 50));
        Task space = queue.WaitForSpaceAsync(CancellationToken.None).AsTask();
        Assert.False(space.IsCompleted);
        Assert.True(queue.TryDequeue(out byte[] packet, out _, out _));
        ArrayPool<byte>.Shared.Return(packet);
        await space.WaitAsync(Bound);
        Assert.True(queue.TryEnqueue(extra, 50));
        Assert.Equal(4, queue.Count);
        queue.Drain();
        Assert.Equal(0, queue.Count);
        Assert.Equal(0, queue.ActiveFlows);
    }

    [Fact]
    public async Task CompletingWakesTheReaderAndRefusesPackets()
    {
        var queue = new FairPacketQueue(4);
        Task<bool> read = queue.WaitToReadAsync(CancellationToken.None).AsTask();
        Task urgent = queue.UrgentArrival();
        queue.Complete();
        Assert.False(await read.WaitAsync(Bound));
        await urgent.WaitAsync(Bound);
        Assert.False(queue.TryEnqueue(Tcp(1, payload: 1), 41));
    }

    [Fact]
    public async Task AnUrgentArrivalIsSignalled()
    {
        var queue = new FairPacketQueue(16);
        Assert.True(queue.TryEnqueue(Tcp(1000, payload: 0), 40)); // a first bare ACK signals (it has a lane of its own)
        Task arrival = queue.UrgentArrival();
        Assert.True(queue.TryEnqueue(Tcp(1000, payload: 0), 40)); // more bare ACKs do not
        Assert.True(queue.TryEnqueue(Tcp(3000, payload: 0), 40));
        Assert.False(arrival.IsCompleted);
        Assert.True(queue.TryEnqueue(Tcp(2000, payload: 5), 45));
        await arrival.WaitAsync(Bound);

        queue.Drain();
        Task firstAck = queue.UrgentArrival();
        Assert.True(queue.TryEnqueue(Tcp(1000, payload: 0), 40));
        await firstAck.WaitAsync(Bound);
        queue.Drain();
    }

    /// <summary>An IPv4/TCP packet (no options) in a pooled buffer, source port first in the TCP header.</summary>
    private static byte[] Tcp(ushort sourcePort, int payload, byte flags = 0x10, byte marker = 0)
    {
        byte[] packet = ArrayPool<byte>.Shared.Rent(BridgePackets.Length(payload));
        BridgePackets.Write(packet, sourcePort, payload, flags, marker);
        return packet;
    }
}
