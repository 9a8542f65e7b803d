using Smolmix.Devices;

namespace Smolmix.Tests.Devices;

public class InMemoryPacketLinkTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static byte[] Packet(int seq, int length)
    {
        var p = new byte[length];
        for (int i = 0; i < length; i++)
        {
            p[i] = (byte)(seq + i);
        }

        BitConverter.TryWriteBytes(p, seq);
        return p;
    }

    [Fact]
    public async Task RoundTrip_BothDirections_PreservesBytesAndOrder()
    {
        var (a, b) = InMemoryPacketLink.CreatePair(mtu: 1500, capacity: 64);
        await using var _a = a;
        await using var _b = b;
        var buffer = new byte[1500];
        for (int seq = 0; seq < 50; seq++)
        {
            var sent = Packet(seq, 4 + (seq * 29 % 1400));
            await a.WriteAsync(sent).AsTask().WaitAsync(Timeout);
            int n = await b.ReadAsync(buffer).AsTask().WaitAsync(Timeout);
            Assert.Equal(sent, buffer[..n]);

            var back = Packet(seq + 1000, 20 + seq);
            await b.WriteAsync(back).AsTask().WaitAsync(Timeout);
            n = await a.ReadAsync(buffer).AsTask().WaitAsync(Timeout);
            Assert.Equal(back, buffer[..n]);
        }

        Assert.Equal(1500, a.Mtu);
        Assert.Equal(1500, b.Mtu);
    }

    [Fact]
    public async Task Write_CopiesThePacket_SoTheCallerMayReuseItsBuffer()
    {
        var (a, b) = InMemoryPacketLink.CreatePair();
        await using var _a = a;
        await using var _b = b;
        var buffer = Packet(7, 100);
        var original = buffer.ToArray();
        await a.WriteAsync(buffer);
        Array.Fill(buffer, (byte)0xEE);
        var received = new byte[2000];
        int n = await b.ReadAsync(received).AsTask().WaitAsync(Timeout);
        Assert.Equal(original, received[..n]);
    }

    [Fact]
    public async Task Read_IntoSmallBuffer_Truncates()
    {
        var (a, b) = InMemoryPacketLink.CreatePair();
        await using var _a = a;
        await using var _b = b;
        var sent = Packet(1, 100);
        await a.WriteAsync(sent);
        var small = new byte[40];
        Assert.Equal(40, await b.ReadAsync(small).AsTask().WaitAsync(Timeout));
        Assert.Equal(sent[..40], small);
    }

    [Fact]
    public async Task Write_RejectsEmptyAndOversizedPackets()
    {
        var (a, b) = InMemoryPacketLink.CreatePair(mtu: 100);
        await using var _a = a;
        await using var _b = b;
        await Assert.ThrowsAsync<ArgumentException>(async () => await a.WriteAsync(Array.Empty<byte>()));
        await Assert.ThrowsAsync<ArgumentException>(async () => await a.WriteAsync(new byte[101]));
        await a.WriteAsync(new byte[100]);
    }

    [Fact]
    public void CreatePair_RejectsBadArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => InMemoryPacketLink.CreatePair(mtu: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => InMemoryPacketLink.CreatePair(capacity: 0));
    }

    [Fact]
    public async Task Write_WhenFull_WaitsUntilTheReaderMakesRoom()
    {
        var (a, b) = InMemoryPacketLink.CreatePair(capacity: 2);
        await using var _a = a;
        await using var _b = b;
        Assert.True(a.WriteAsync(Packet(1, 10)).IsCompletedSuccessfully);
        Assert.True(a.WriteAsync(Packet(2, 10)).IsCompletedSuccessfully);

        var blocked = a.WriteAsync(Packet(3, 10)).AsTask();
        await Task.Delay(50); // a short, bounded wait: the write must still be pending
        Assert.False(blocked.IsCompleted);

        var buffer = new byte[100];
        Assert.Equal(10, await b.ReadAsync(buffer).AsTask().WaitAsync(Timeout));
        await blocked.WaitAsync(Timeout);

        for (int expected = 2; expected <= 3; expected++)
        {
            await b.ReadAsync(buffer).AsTask().WaitAsync(Timeout);
            Assert.Equal(expected, BitConverter.ToInt32(buffer));
        }
    }

    [Fact]
    public async Task Write_WhenFull_IsCancellable_AndTheLinkKeepsWorking()
    {
        var (a, b) = InMemoryPacketLink.CreatePair(capacity: 1);
        await using var _a = a;
        await using var _b = b;
        await a.WriteAsync(Packet(1, 10));
        using var cts = new CancellationTokenSource();
        var blocked = a.WriteAsync(Packet(2, 10), cts.Token).AsTask();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => blocked.WaitAsync(Timeout));

        var buffer = new byte[100];
        await b.ReadAsync(buffer).AsTask().WaitAsync(Timeout);
        Assert.Equal(1, BitConverter.ToInt32(buffer));
        await a.WriteAsync(Packet(3, 10)).AsTask().WaitAsync(Timeout);
        await b.ReadAsync(buffer).AsTask().WaitAsync(Timeout);
        Assert.Equal(3, BitConverter.ToInt32(buffer));
    }

    [Fact]
    public async Task Read_IsCancellable()
    {
        var (a, b) = InMemoryPacketLink.CreatePair();
        await using var _a = a;
        await using var _b = b;
        using var cts = new CancellationTokenSource();
        var pending = b.ReadAsync(new byte[100], cts.Token).AsTask();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.WaitAsync(Timeout));
    }

    [Fact]
    public async Task Dispose_CompletesPendingReadsWithZero_OnBothSides()
    {
        var (a, b) = InMemoryPacketLink.CreatePair();
        var pendingOnA = a.ReadAsync(new byte[100]).AsTask();
        var pendingOnB = b.ReadAsync(new byte[100]).AsTask();
        await a.DisposeAsync();
        Assert.Equal(0, await pendingOnA.WaitAsync(Timeout));
        Assert.Equal(0, await pendingOnB.WaitAsync(Timeout));
        Assert.Equal(0, await a.ReadAsync(new byte[100]).AsTask().WaitAsync(Timeout));
        await b.DisposeAsync();
    }

    [Fact]
    public async Task Dispose_FailsPendingAndLaterWrites_WithObjectDisposed()
    {
        var (a, b) = InMemoryPacketLink.CreatePair(capacity: 1);
        await b.WriteAsync(Packet(1, 10));
        var blocked = b.WriteAsync(Packet(2, 10)).AsTask();
        await a.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => blocked.WaitAsync(Timeout));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await b.WriteAsync(Packet(3, 10)));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await a.WriteAsync(Packet(4, 10)));
        await b.DisposeAsync();
        await b.DisposeAsync(); // idempotent
    }

    [Fact]
    public async Task Dispose_LetsThePeerDrainQueuedPackets_ThenReturnsZero()
    {
        var (a, b) = InMemoryPacketLink.CreatePair();
        await a.WriteAsync(Packet(1, 10));
        await a.WriteAsync(Packet(2, 10));
        await a.DisposeAsync();
        var buffer = new byte[100];
        Assert.Equal(10, await b.ReadAsync(buffer).AsTask().WaitAsync(Timeout));
        Assert.Equal(1, BitConverter.ToInt32(buffer));
        Assert.Equal(10, await b.ReadAsync(buffer).AsTask().WaitAsync(Timeout));
        Assert.Equal(2, BitConverter.ToInt32(buffer));
        Assert.Equal(0, await b.ReadAsync(buffer).AsTask().WaitAsync(Timeout));
        await b.DisposeAsync();
    }

    [Fact]
    public async Task ConcurrentReaderAndWriter_CarryManyPacketsInOrder()
    {
        const int Count = 200_000;
        var (a, b) = InMemoryPacketLink.CreatePair(capacity: 256);
        await using var _a = a;
        await using var _b = b;
        var writer = Task.Run(async () =>
        {
            var packet = new byte[1400];
            for (int i = 0; i < Count; i++)
            {
                BitConverter.TryWriteBytes(packet, i);
                await a.WriteAsync(packet.AsMemory(0, 64 + (i % 1300)));
            }
        });
        var reader = Task.Run(async () =>
        {
            var buffer = new byte[1420];
            for (int i = 0; i < Count; i++)
            {
                int n = await b.ReadAsync(buffer);
                Assert.Equal(64 + (i % 1300), n);
                Assert.Equal(i, BitConverter.ToInt32(buffer));
            }
        });
        await Task.WhenAll(writer, reader).WaitAsync(TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task SynchronousWriteAndRead_DoNotAllocatePerPacket()
    {
        var (a, b) = InMemoryPacketLink.CreatePair(capacity: 64);
        await using var _a = a;
        await using var _b = b;
        var packet = new byte[1400];
        var buffer = new byte[1420];

        int Exchange(int count)
        {
            // No xunit asserts inside the loop: they allocate.
            int failures = 0;
            for (int i = 0; i < count; i++)
            {
                var write = a.WriteAsync(packet);
                var read = b.ReadAsync(buffer);
                if (!write.IsCompletedSuccessfully || !read.IsCompletedSuccessfully || read.Result != 1400)
                {
                    failures++;
                }
            }

            return failures;
        }

        Assert.Equal(0, Exchange(100)); // also warms the pool
        long before = GC.GetAllocatedBytesForCurrentThread();
        int failures = Exchange(10_000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, failures);
        Assert.True(allocated < 10_000, $"allocated {allocated} bytes for 10,000 packets");
    }
}
