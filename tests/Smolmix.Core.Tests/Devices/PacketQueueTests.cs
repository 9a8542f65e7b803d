using Smolmix.Devices;

namespace Smolmix.Tests.Devices;

public class PacketQueueTests
{
    private static PooledPacket Packet(int id)
    {
        byte[] b = PacketBuffers.Rent(4);
        BitConverter.TryWriteBytes(b, id);
        return new PooledPacket(b, 4);
    }

    private static int Id(PooledPacket p) => BitConverter.ToInt32(p.Span);

    [Fact]
    public void Bounded_FirstInFirstOut_RefusesWhenFull()
    {
        var q = new PacketQueue(3);
        Assert.True(q.TryEnqueue(Packet(1)));
        Assert.True(q.TryEnqueue(Packet(2)));
        Assert.True(q.TryEnqueue(Packet(3)));
        var extra = Packet(4);
        Assert.False(q.TryEnqueue(extra)); // the caller keeps it
        extra.Return();
        Assert.Equal(3, q.Count);
        for (int i = 1; i <= 3; i++)
        {
            Assert.True(q.TryDequeue(out var p));
            Assert.Equal(i, Id(p));
            p.Return();
        }
        Assert.False(q.TryDequeue(out _));
        Assert.Equal(0, q.Count);
    }

    [Fact]
    public async Task Close_ConsumerDrainsWhatIsLeft_ThenWaitsReturnFalse_ProducerRefused()
    {
        var q = new PacketQueue(8);
        Assert.True(q.TryEnqueue(Packet(1)));
        q.Close();
        var refused = Packet(2);
        Assert.False(q.TryEnqueue(refused));
        refused.Return();
        Assert.False(await q.WaitToEnqueueAsync(CancellationToken.None));
        Assert.True(await q.WaitToDequeueAsync(CancellationToken.None));
        Assert.True(q.TryDequeue(out var p));
        p.Return();
        Assert.False(await q.WaitToDequeueAsync(CancellationToken.None));
    }

    [Fact]
    public async Task WaitingConsumer_WokenByEnqueue_AndByClose()
    {
        var q = new PacketQueue(8);
        var wait = q.WaitToDequeueAsync(CancellationToken.None);
        Assert.False(wait.IsCompleted);
        Assert.True(q.TryEnqueue(Packet(7)));
        Assert.True(await wait.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(q.TryDequeue(out var p));
        p.Return();

        // The same (reused) waiter serves the next wait.
        wait = q.WaitToDequeueAsync(CancellationToken.None);
        Assert.False(wait.IsCompleted);
        q.Close();
        Assert.False(await wait.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task CancelledWait_ThrowsAndLeavesTheQueueUsable()
    {
        var q = new PacketQueue(8);
        using (var cts = new CancellationTokenSource())
        {
            var wait = q.WaitToDequeueAsync(cts.Token);
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        }
        var next = q.WaitToDequeueAsync(CancellationToken.None);
        Assert.True(q.TryEnqueue(Packet(1)));
        Assert.True(await next.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(q.TryDequeue(out var p));
        Assert.Equal(1, Id(p));
        p.Return();
    }

    [Fact]
    public async Task TwoProducersWaitingForRoom_BothGetIn()
    {
        var q = new PacketQueue(1);
        Assert.True(q.TryEnqueue(Packet(0)));
        var a = q.WaitToEnqueueAsync(CancellationToken.None);
        var b = q.WaitToEnqueueAsync(CancellationToken.None); // a second waiter on the same side
        Assert.False(a.IsCompleted || b.IsCompleted);
        Assert.True(q.TryDequeue(out var p));
        p.Return();
        Assert.True(await a.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(await b.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task ProducersAndConsumerOnThreads_EveryPacketOnceInOrderPerProducer()
    {
        // A small queue so both sides keep waiting for each other: no packet lost, none seen twice, each
        // producer's packets in its order, every buffer handed on exactly once.
        const int PerProducer = 50_000;
        var q = new PacketQueue(4);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        async Task Produce(int producer)
        {
            for (int i = 0; i < PerProducer; i++)
            {
                var p = Packet(producer * PerProducer + i);
                while (!q.TryEnqueue(p))
                {
                    Assert.True(await q.WaitToEnqueueAsync(cts.Token).ConfigureAwait(false));
                }
            }
        }
        var producers = Task.WhenAll(Task.Run(() => Produce(0)), Task.Run(() => Produce(1)));
        var next = new int[2];
        int received = 0;
        var consumer = Task.Run(async () =>
        {
            while (received < 2 * PerProducer)
            {
                if (!q.TryDequeue(out var p))
                {
                    Assert.True(await q.WaitToDequeueAsync(cts.Token).ConfigureAwait(false));
                    continue;
                }
                int id = Id(p);
                p.Return();
                int producer = id / PerProducer;
                Assert.Equal(producer * PerProducer + next[producer], id);
                next[producer]++;
                received++;
            }
        });
        await Task.WhenAll(producers, consumer).WaitAsync(cts.Token);
        Assert.Equal([PerProducer, PerProducer], next);
        Assert.Equal(0, q.Count);
    }
}
