using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography;

// Several tests start reads whose byte count is irrelevant (they are expected to wait or fail).
#pragma warning disable CA2022

namespace Smolmix.Tests.Conformance;

/// <summary>
/// The <see cref="Stream"/> contract for a connected, bidirectional <see cref="TcpStream"/> pair, in the
/// spirit of dotnet/runtime's ConnectedStreamConformanceTests: what SocketsHttpHandler, SslStream and
/// friends rely on.
/// </summary>
public class TcpStreamConformanceTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    /// <summary>A short real-time wait used only to show that something has NOT happened.</summary>
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(100);

    public enum IoMode
    {
        SyncArray,
        SyncSpan,
        AsyncArray,
        AsyncMemory,
        Apm,
    }

    [Fact]
    public async Task Capabilities_AndUnsupportedMembers()
    {
        await using var p = await ConnectedStreams.CreateAsync();
        foreach (var s in new Stream[] { p.Client, p.Server })
        {
            Assert.True(s.CanRead);
            Assert.True(s.CanWrite);
            Assert.False(s.CanSeek);
            Assert.False(s.CanTimeout);
            Assert.Throws<NotSupportedException>(() => s.Length);
            Assert.Throws<NotSupportedException>(() => s.Position);
            Assert.Throws<NotSupportedException>(() => s.Position = 0);
            Assert.Throws<NotSupportedException>(() => s.Seek(0, SeekOrigin.Begin));
            Assert.Throws<NotSupportedException>(() => s.SetLength(1));
            Assert.Throws<InvalidOperationException>(() => s.ReadTimeout);
            Assert.Throws<InvalidOperationException>(() => s.WriteTimeout = 1);
            s.Flush();
            await s.FlushAsync();
        }
        Assert.Equal(p.Client.RemoteEndPoint, p.Server.LocalEndPoint);
        Assert.Equal(p.Server.RemoteEndPoint, p.Client.LocalEndPoint);
    }

    [Fact]
    public async Task ArgumentValidation_ThrowsExpectedExceptions()
    {
        await using var p = await ConnectedStreams.CreateAsync();
        var s = p.Client;
        var buf = new byte[4];
        Assert.Throws<ArgumentNullException>(() => s.Read(null!, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Read(buf, -1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Read(buf, 0, -1));
        Assert.ThrowsAny<ArgumentException>(() => s.Read(buf, 1, 4));
        Assert.Throws<ArgumentNullException>(() => s.Write(null!, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Write(buf, -1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Write(buf, 0, -1));
        Assert.ThrowsAny<ArgumentException>(() => s.Write(buf, 1, 4));
        await Assert.ThrowsAsync<ArgumentNullException>(() => s.ReadAsync(null!, 0, 1));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => s.ReadAsync(buf, -1, 1));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => s.ReadAsync(buf, 3, 2));
        await Assert.ThrowsAsync<ArgumentNullException>(() => s.WriteAsync(null!, 0, 1));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => s.WriteAsync(buf, 0, -1));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => s.WriteAsync(buf, 3, 2));
        Assert.Throws<ArgumentNullException>(() => { s.BeginRead(null!, 0, 1, null, null); });
        Assert.Throws<ArgumentNullException>(() => { s.BeginWrite(null!, 0, 1, null, null); });
        await Assert.ThrowsAsync<ArgumentNullException>(() => s.CopyToAsync(null!));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => s.CopyToAsync(new MemoryStream(), 0));

        // Nothing above consumed or sent anything: the stream still works.
        await s.WriteAsync(new byte[] { 1, 2, 3 });
        using var cts = new CancellationTokenSource(Bound);
        Assert.Equal(new byte[] { 1, 2, 3 }, await TestUtil.ReadExactlyAsync(p.Server, 3, cts.Token));
    }

    [Fact]
    public async Task Disposed_MembersThrowObjectDisposed_DisposeIsIdempotent()
    {
        await using var p = await ConnectedStreams.CreateAsync();
        var s = p.Client;
        s.Dispose();
        s.Dispose();
        await s.DisposeAsync();
        s.Close();
        Assert.False(s.CanRead);
        Assert.False(s.CanWrite);
        Assert.False(s.CanSeek);
        var buf = new byte[1];
        Assert.Throws<ObjectDisposedException>(() => s.Read(buf, 0, 1));
        Assert.Throws<ObjectDisposedException>(() => s.Read(buf.AsSpan()));
        Assert.Throws<ObjectDisposedException>(() => s.ReadByte());
        Assert.Throws<ObjectDisposedException>(() => s.Write(buf, 0, 1));
        Assert.Throws<ObjectDisposedException>(() => s.Write(buf.AsSpan()));
        Assert.Throws<ObjectDisposedException>(() => s.WriteByte(1));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => s.ReadAsync(buf, 0, 1));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await s.ReadAsync(buf.AsMemory()));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => s.WriteAsync(buf, 0, 1));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await s.WriteAsync(buf.AsMemory()));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => s.CopyToAsync(new MemoryStream()));
        Assert.Throws<ObjectDisposedException>(() => p.Client.ShutdownWrite());
        // Flush of a disposed stream may succeed (as the runtime's conformance tests allow).
        s.Flush();
    }

    [Fact]
    public async Task ZeroByteRead_WaitsForData_ThenReturnsZeroWithoutConsuming()
    {
        await using var p = await ConnectedStreams.CreateAsync();
        using var cts = new CancellationTokenSource(Bound);
        var zero = p.Client.ReadAsync(Memory<byte>.Empty, cts.Token).AsTask();
        await Task.Delay(Quiet);
        Assert.False(zero.IsCompleted, "A zero-byte read must wait for data, not signal EOF.");

        await p.Server.WriteAsync(new byte[] { 10, 20, 30, 40, 50 }, cts.Token);
        Assert.Equal(0, await zero.WaitAsync(cts.Token));

        // Now that data is buffered, a zero-byte read returns at once; nothing was consumed.
        Assert.Equal(0, await p.Client.ReadAsync(Memory<byte>.Empty, cts.Token));
        Assert.Equal(0, p.Client.Read(Span<byte>.Empty));
        Assert.Equal(0, p.Client.Read(Array.Empty<byte>(), 0, 0));
        Assert.Equal(new byte[] { 10, 20, 30, 40, 50 }, await TestUtil.ReadExactlyAsync(p.Client, 5, cts.Token));
    }

    [Fact]
    public async Task ZeroByteRead_AtEof_ReturnsZero_AndEofIsSticky()
    {
        await using var p = await ConnectedStreams.CreateAsync();
        using var cts = new CancellationTokenSource(Bound);
        p.Server.ShutdownWrite();
        var buf = new byte[16];
        Assert.Equal(0, await p.Client.ReadAsync(buf, cts.Token)); // waits for the FIN
        Assert.Equal(0, await p.Client.ReadAsync(Memory<byte>.Empty, cts.Token));
        Assert.Equal(0, await p.Client.ReadAsync(buf, cts.Token));
        Assert.Equal(0, p.Client.Read(buf, 0, buf.Length));
        Assert.Equal(-1, p.Client.ReadByte());
    }

    [Fact]
    public async Task Read_ReturnsPartialData_AsSoonAsAnyArrives()
    {
        await using var p = await ConnectedStreams.CreateAsync();
        using var cts = new CancellationTokenSource(Bound);
        var big = new byte[64 * 1024];
        var read = p.Client.ReadAsync(big, cts.Token).AsTask();
        await Task.Delay(Quiet);
        Assert.False(read.IsCompleted);
        await p.Server.WriteAsync(new byte[] { 1, 2, 3, 4, 5, 6, 7 }, cts.Token);
        int n = await read.WaitAsync(cts.Token);
        Assert.InRange(n, 1, 7);
        int total = n;
        while (total < 7)
        {
            total += await p.Client.ReadAsync(big.AsMemory(total), cts.Token);
        }
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6, 7 }, big[..7]);
    }

    [Fact]
    public async Task Write_IsTransmittedWithoutFlush_AndZeroByteWritesAreHarmless()
    {
        await using var p = await ConnectedStreams.CreateAsync();
        using var cts = new CancellationTokenSource(Bound);
        await p.Client.WriteAsync(ReadOnlyMemory<byte>.Empty, cts.Token);
        await p.Client.WriteAsync(new byte[] { 1, 2 }, cts.Token);
        p.Client.Write(Array.Empty<byte>(), 0, 0);
        p.Client.Write(ReadOnlySpan<byte>.Empty);
        await p.Client.WriteAsync(new byte[] { 3 }, cts.Token);
        // No Flush: the bytes must arrive anyway.
        Assert.Equal(new byte[] { 1, 2, 3 }, await TestUtil.ReadExactlyAsync(p.Server, 3, cts.Token));
    }

    [Theory]
    [InlineData(IoMode.SyncArray)]
    [InlineData(IoMode.SyncSpan)]
    [InlineData(IoMode.AsyncArray)]
    [InlineData(IoMode.AsyncMemory)]
    [InlineData(IoMode.Apm)]
    public async Task ReadWrite_AllOverloads_RoundTrip(IoMode mode)
    {
        await using var p = await ConnectedStreams.CreateAsync();
        using var cts = new CancellationTokenSource(Bound);
        var data = TestUtil.Pattern(300_000, (int)mode);
        var writer = Task.Run(async () =>
        {
            int off = 0, chunk = 1;
            while (off < data.Length)
            {
                int n = Math.Min(chunk, data.Length - off);
                await WriteWithAsync(mode, p.Client, data, off, n, cts.Token);
                off += n;
                chunk = chunk * 3 % 20011 + 1;
            }
            p.Client.ShutdownWrite();
        });
        var received = new MemoryStream();
        var rbuf = new byte[7000];
        var reader = Task.Run(async () =>
        {
            int size = 1;
            while (true)
            {
                int n = await ReadWithAsync(mode, p.Server, rbuf, 0, Math.Min(size, rbuf.Length), cts.Token);
                if (n == 0)
                {
                    break;
                }
                received.Write(rbuf, 0, n);
                size = size * 5 % 6997 + 1;
            }
        });
        await Task.WhenAll(writer, reader).WaitAsync(cts.Token);
        Assert.Equal(data, received.ToArray());
    }

    [Fact]
    public async Task ReadByte_WriteByte()
    {
        await using var p = await ConnectedStreams.CreateAsync();
        using var cts = new CancellationTokenSource(Bound);
        for (int i = 0; i < 256; i++)
        {
            p.Client.WriteByte((byte)i);
        }
        p.Client.ShutdownWrite();
        var got = await Task.Run(() =>
        {
            var l = new List<int>();
            int b;
            while ((b = p.Server.ReadByte()) != -1)
            {
                l.Add(b);
            }
            return l;
        }).WaitAsync(cts.Token);
        Assert.Equal(Enumerable.Range(0, 256), got);
    }

    [Fact]
    public async Task Duplex_16MiBEachWay_Concurrently_ShaEqual()
    {
        await using var p = await ConnectedStreams.CreateAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var up = TestUtil.Pattern(16 << 20, 1);
        var down = TestUtil.Pattern(16 << 20, 2);
        async Task Send(TcpStream s, byte[] d)
        {
            for (int off = 0; off < d.Length; off += 100_003)
            {
                await s.WriteAsync(d.AsMemory(off, Math.Min(100_003, d.Length - off)), cts.Token);
            }
            s.ShutdownWrite();
        }
        async Task<byte[]> Receive(TcpStream s)
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buf = new byte[40_000];
            int n;
            while ((n = await s.ReadAsync(buf, cts.Token)) > 0)
            {
                sha.AppendData(buf, 0, n);
            }
            return sha.GetHashAndReset();
        }
        var tasks = new Task[]
        {
            Task.Run(() => Send(p.Client, up)),
            Task.Run(() => Send(p.Server, down)),
        };
        var rUp = Task.Run(() => Receive(p.Server));
        var rDown = Task.Run(() => Receive(p.Client));
        await Task.WhenAll(tasks.Append(rUp).Append(rDown)).WaitAsync(cts.Token);
        Assert.Equal(SHA256.HashData(up), await rUp);
        Assert.Equal(SHA256.HashData(down), await rDown);
    }

    [Fact]
    public async Task ManySmallWrites_CoalesceCorrectly()
    {
        await using var p = await ConnectedStreams.CreateAsync();
        using var cts = new CancellationTokenSource(Bound);
        var expected = new MemoryStream();
        var writer = Task.Run(async () =>
        {
            for (int i = 0; i < 20_000; i++)
            {
                var chunk = new byte[1 + i % 37];
                for (int j = 0; j < chunk.Length; j++)
                {
                    chunk[j] = (byte)(i + j);
                }
                expected.Write(chunk);
                await p.Client.WriteAsync(chunk, cts.Token);
            }
            p.Client.ShutdownWrite();
        });
        var got = await TestUtil.ReadToEndAsync(p.Server, cts.Token);
        await writer.WaitAsync(cts.Token);
        Assert.Equal(expected.ToArray(), got);
    }

    [Fact]
    public async Task ReadAsync_CancelledWhilePending_ThrowsOce_StreamStillUsable()
    {
        await using var p = await ConnectedStreams.CreateAsync();
        using var bound = new CancellationTokenSource(Bound);
        using var cts = new CancellationTokenSource();
        var buf = new byte[10];
        var read = p.Client.ReadAsync(buf, cts.Token).AsTask();
        await Task.Delay(Quiet);
        Assert.False(read.IsCompleted);
        cts.Cancel();
        var oce = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.WaitAsync(bound.Token));
        Assert.Equal(cts.Token, oce.CancellationToken);

        // A zero-byte read can be cancelled too.
        using var cts2 = new CancellationTokenSource(Quiet);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await p.Client.ReadAsync(Memory<byte>.Empty, cts2.Token));

        await p.Server.WriteAsync(new byte[] { 42, 43 }, bound.Token);
        Assert.Equal(new byte[] { 42, 43 }, await TestUtil.ReadExactlyAsync(p.Client, 2, bound.Token));
        await p.Client.WriteAsync(new byte[] { 44 }, bound.Token);
        Assert.Equal(new byte[] { 44 }, await TestUtil.ReadExactlyAsync(p.Server, 1, bound.Token));
    }

    [Fact]
    public async Task PreCancelledTokens_ThrowOce_AndDoNothing()
    {
        await using var p = await ConnectedStreams.CreateAsync();
        using var bound = new CancellationTokenSource(Bound);
        var cancelled = new CancellationToken(true);
        var buf = new byte[10];
        var e1 = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await p.Client.ReadAsync(buf.AsMemory(), cancelled));
        Assert.Equal(cancelled, e1.CancellationToken);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => p.Client.ReadAsync(buf, 0, 1, cancelled));
        var e2 = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await p.Client.WriteAsync(new byte[] { 99 }.AsMemory(), cancelled));
        Assert.Equal(cancelled, e2.CancellationToken);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => p.Client.WriteAsync(new byte[] { 98 }, 0, 1, cancelled));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => p.Client.FlushAsync(cancelled));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => p.Client.CopyToAsync(new MemoryStream(), 81920, cancelled));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => p.Client.WaitForSendCompletionAsync(cancelled));

        // A cancelled write must not have sent anything; a cancelled read must not have consumed anything.
        await p.Server.WriteAsync(new byte[] { 7 }, bound.Token);
        await Task.Delay(Quiet);
        Assert.Equal(new byte[] { 7 }, await TestUtil.ReadExactlyAsync(p.Client, 1, bound.Token));
        await p.Client.WriteAsync(new byte[] { 8 }, bound.Token);
        p.Client.ShutdownWrite();
        Assert.Equal(new byte[] { 8 }, await TestUtil.ReadToEndAsync(p.Server, bound.Token));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Dispose_WhileReadPending_UnblocksPromptly(bool zeroByteRead)
    {
        await using var p = await ConnectedStreams.CreateAsync();
        var read = p.Client.ReadAsync(zeroByteRead ? Memory<byte>.Empty : new byte[10]).AsTask();
        await Task.Delay(Quiet);
        Assert.False(read.IsCompleted);
        // From another thread, as SocketsHttpHandler does. The bounded wait is the check: a read that Dispose did not
        // wake ends in a TimeoutException, which the assert below rejects.
        await Task.Run(() => p.Client.Dispose());
        var e = await Record.ExceptionAsync(() => read.WaitAsync(TimeSpan.FromSeconds(2)));
        Assert.True(e is ObjectDisposedException or IOException or OperationCanceledException, $"Unexpected {e?.GetType().Name ?? "success"}");
    }

    [Fact]
    public async Task Dispose_WhileWriteBlocked_UnblocksPromptly()
    {
        var small = new StackOptions { TcpSendBufferSize = 16 * 1024, TcpReceiveBufferSize = 16 * 1024, TcpMaxReceiveBufferSize = 16 * 1024 };
        await using var p = await ConnectedStreams.CreateAsync(small, small);
        // Nobody reads on the server: windows and buffers fill and the write blocks.
        var write = p.Client.WriteAsync(new byte[1 << 20]).AsTask();
        await Task.Delay(Quiet * 2);
        Assert.False(write.IsCompleted, "the write should be blocked by backpressure");
        await Task.Run(() => p.Client.Dispose());
        var e = await Record.ExceptionAsync(() => write.WaitAsync(TimeSpan.FromSeconds(2)));
        Assert.True(e is ObjectDisposedException or IOException or OperationCanceledException, $"Unexpected {e?.GetType().Name ?? "success"}");
    }

    [Fact]
    public async Task PeerDispose_ReadsDrainRemainingData_ThenReturnZero()
    {
        await using var p = await ConnectedStreams.CreateAsync();
        using var cts = new CancellationTokenSource(Bound);
        var data = TestUtil.Pattern(200_000, 5);
        await p.Server.WriteAsync(data, cts.Token);
        p.Server.Dispose();
        var got = await TestUtil.ReadToEndAsync(p.Client, cts.Token);
        Assert.Equal(data, got);
        Assert.Equal(0, await p.Client.ReadAsync(new byte[1], cts.Token));
        Assert.Equal(0, await p.Client.ReadAsync(Memory<byte>.Empty, cts.Token));
    }

    [Fact]
    public async Task ShutdownWrite_PeerReadsEof_ButCanStillWriteBack()
    {
        await using var p = await ConnectedStreams.CreateAsync();
        using var cts = new CancellationTokenSource(Bound);
        await p.Client.WriteAsync(new byte[] { 1, 2, 3 }, cts.Token);
        p.Client.ShutdownWrite();
        p.Client.ShutdownWrite(); // idempotent
        Assert.Equal(new byte[] { 1, 2, 3 }, await TestUtil.ReadToEndAsync(p.Server, cts.Token));

        // Writing on the shut-down side fails with IOException; the other direction still works.
        await Assert.ThrowsAsync<IOException>(async () => await p.Client.WriteAsync(new byte[] { 4 }, cts.Token));
        var reply = TestUtil.Pattern(100_000, 9);
        await p.Server.WriteAsync(reply, cts.Token);
        Assert.Equal(reply, await TestUtil.ReadExactlyAsync(p.Client, reply.Length, cts.Token));
        p.Server.ShutdownWrite();
        Assert.Equal(0, await p.Client.ReadAsync(new byte[1], cts.Token));
    }

    [Fact]
    public async Task Abort_PeerReadThrowsConnectionReset_AndWriteAfterResetThrows()
    {
        await using var p = await ConnectedStreams.CreateAsync();
        using var cts = new CancellationTokenSource(Bound);
        var pending = p.Server.ReadAsync(new byte[10], cts.Token).AsTask();
        await Task.Delay(Quiet);
        p.Client.Abort();
        var e = await Assert.ThrowsAsync<IOException>(() => pending.WaitAsync(cts.Token));
        var se = Assert.IsType<SocketException>(e.InnerException);
        Assert.Equal(SocketError.ConnectionReset, se.SocketErrorCode);

        // Later reads keep failing; writes fail with IOException too.
        var e2 = await Assert.ThrowsAsync<IOException>(async () => await p.Server.ReadAsync(new byte[10], cts.Token));
        Assert.Equal(SocketError.ConnectionReset, TestUtil.SocketErrorOf(e2));
        var e3 = await Assert.ThrowsAsync<IOException>(async () => await p.Server.WriteAsync(new byte[10], cts.Token));
        Assert.Equal(SocketError.ConnectionReset, TestUtil.SocketErrorOf(e3));
        Assert.Throws<IOException>(() => p.Server.Write(new byte[10], 0, 10));

        // The aborted side itself is unusable.
        await Assert.ThrowsAnyAsync<Exception>(async () => await p.Client.ReadAsync(new byte[1], cts.Token));
    }

    [Fact]
    public async Task WaitForSendCompletion_CompletesOnceAcked()
    {
        await using var p = await ConnectedStreams.CreateAsync();
        using var cts = new CancellationTokenSource(Bound);
        await p.Client.WaitForSendCompletionAsync(cts.Token); // nothing written: immediate
        var data = TestUtil.Pattern(64 * 1024, 3);
        await p.Client.WriteAsync(data, cts.Token);
        // The peer has not read, but its receive buffer holds it all, so it is acknowledged.
        await p.Client.WaitForSendCompletionAsync(cts.Token);
        Assert.Equal(0, TestUtil.UnacknowledgedBytes(p.Stacks.Client, p.Client));
        Assert.Equal(data, await TestUtil.ReadExactlyAsync(p.Server, data.Length, cts.Token));

        // Including the FIN after a shutdown.
        p.Client.ShutdownWrite();
        await p.Client.WaitForSendCompletionAsync(cts.Token);
        Assert.Equal(0, TestUtil.UnacknowledgedBytes(p.Stacks.Client, p.Client));
    }

    [Fact]
    public async Task WaitForSendCompletion_FailsWhenPeerResets()
    {
        var small = new StackOptions { TcpReceiveBufferSize = 8 * 1024, TcpMaxReceiveBufferSize = 8 * 1024 };
        await using var p = await ConnectedStreams.CreateAsync(null, small);
        using var cts = new CancellationTokenSource(Bound);
        await p.Client.WriteAsync(new byte[100_000], cts.Token); // more than the peer's window: stays unacked
        var wait = p.Client.WaitForSendCompletionAsync(cts.Token);
        await Task.Delay(Quiet);
        Assert.False(wait.IsCompleted);
        p.Server.Abort();
        var e = await Assert.ThrowsAsync<IOException>(() => wait.WaitAsync(cts.Token));
        Assert.Equal(SocketError.ConnectionReset, TestUtil.SocketErrorOf(e));
    }

    [Fact]
    public async Task CopyToAsync_CopiesEverythingToEof()
    {
        await using var p = await ConnectedStreams.CreateAsync();
        using var cts = new CancellationTokenSource(Bound);
        var data = TestUtil.Pattern(4 << 20, 11);
        var writer = Task.Run(async () =>
        {
            await p.Server.WriteAsync(data, cts.Token);
            p.Server.ShutdownWrite();
        });
        var ms = new MemoryStream();
        await p.Client.CopyToAsync(ms, cts.Token);
        await writer.WaitAsync(cts.Token);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(ms.ToArray()));

        // Synchronous CopyTo the other way.
        var back = data.AsMemory(0, 1 << 20).ToArray();
        var w2 = Task.Run(() => { p.Client.Write(back); p.Client.ShutdownWrite(); });
        var ms2 = new MemoryStream();
        await Task.Run(() => p.Server.CopyTo(ms2)).WaitAsync(cts.Token);
        await w2.WaitAsync(cts.Token);
        Assert.Equal(back, ms2.ToArray());
    }

    [Fact]
    public async Task LargeWrite_BiggerThanSendBuffer_CompletesWithBoundedBuffers()
    {
        const int sendBuffer = 64 * 1024;
        var clientOptions = new StackOptions { TcpSendBufferSize = sendBuffer };
        var serverOptions = new StackOptions { TcpReceiveBufferSize = 64 * 1024, TcpMaxReceiveBufferSize = 256 * 1024 };
        await using var p = await ConnectedStreams.CreateAsync(clientOptions, serverOptions);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var data = TestUtil.Pattern(64 << 20, 12);
        long maxUnacked = 0;
        long maxReadable = 0;
        var write = Task.Run(async () =>
        {
            await p.Client.WriteAsync(data, cts.Token); // one call, 1024× the send buffer
            p.Client.ShutdownWrite();
        });
        var read = Task.Run(async () =>
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buf = new byte[128 * 1024];
            int n;
            long total = 0;
            while ((n = await p.Server.ReadAsync(buf, cts.Token)) > 0)
            {
                sha.AppendData(buf, 0, n);
                total += n;
                if ((total & 0xFFFFF) < n)
                {
                    maxUnacked = Math.Max(maxUnacked, TestUtil.UnacknowledgedBytes(p.Stacks.Client, p.Client));
                    lock (p.Stacks.Server.Sync)
                    {
                        maxReadable = Math.Max(maxReadable, p.Server.Connection.Readable);
                    }
                }
            }
            return sha.GetHashAndReset();
        });
        await Task.WhenAll(write, read).WaitAsync(cts.Token);
        Assert.Equal(SHA256.HashData(data), await read);
        Assert.InRange(maxUnacked, 0, sendBuffer + 1);
        Assert.InRange(maxReadable, 0, 256 * 1024);
    }

    [Fact]
    public async Task SlowReader_SenderBlocks_PendingBytesStayWithinSendBuffer()
    {
        const int sendBuffer = 32 * 1024;
        var clientOptions = new StackOptions { TcpSendBufferSize = sendBuffer };
        var serverOptions = new StackOptions { TcpReceiveBufferSize = 16 * 1024, TcpMaxReceiveBufferSize = 16 * 1024 };
        await using var p = await ConnectedStreams.CreateAsync(clientOptions, serverOptions);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var data = TestUtil.Pattern(1 << 20, 13);
        var write = Task.Run(async () =>
        {
            await p.Client.WriteAsync(data, cts.Token);
            p.Client.ShutdownWrite();
        });
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buf = new byte[1024];
        long received = 0, maxUnacked = 0;
        // Slow phase: 1 KiB every 2 ms for ~400 ms (~200 KiB/s at best).
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromMilliseconds(400))
        {
            int n = await p.Server.ReadAsync(buf, cts.Token);
            Assert.NotEqual(0, n);
            sha.AppendData(buf, 0, n);
            received += n;
            maxUnacked = Math.Max(maxUnacked, TestUtil.UnacknowledgedBytes(p.Stacks.Client, p.Client));
            await Task.Delay(2, cts.Token);
        }
        Assert.False(write.IsCompleted, "the sender should be blocked by the slow reader");
        Assert.InRange(maxUnacked, 1, sendBuffer);
        Assert.True(received < data.Length / 2, $"received {received}");
        // Fast phase: drain the rest.
        int m;
        var big = new byte[64 * 1024];
        while ((m = await p.Server.ReadAsync(big, cts.Token)) > 0)
        {
            sha.AppendData(big, 0, m);
            received += m;
        }
        await write.WaitAsync(cts.Token);
        Assert.Equal(data.Length, received);
        Assert.Equal(SHA256.HashData(data), sha.GetHashAndReset());
    }

    private static async Task WriteWithAsync(IoMode mode, Stream s, byte[] data, int offset, int count, CancellationToken ct)
    {
        switch (mode)
        {
            case IoMode.SyncArray:
                s.Write(data, offset, count);
                break;
            case IoMode.SyncSpan:
                s.Write(data.AsSpan(offset, count));
                break;
            case IoMode.AsyncArray:
                await s.WriteAsync(data, offset, count, ct);
                break;
            case IoMode.AsyncMemory:
                await s.WriteAsync(data.AsMemory(offset, count), ct);
                break;
            case IoMode.Apm:
                await Task.Factory.FromAsync(s.BeginWrite, s.EndWrite, data, offset, count, null);
                break;
        }
    }

    private static async Task<int> ReadWithAsync(IoMode mode, Stream s, byte[] buffer, int offset, int count, CancellationToken ct) => mode switch
    {
        IoMode.SyncArray => s.Read(buffer, offset, count),
        IoMode.SyncSpan => s.Read(buffer.AsSpan(offset, count)),
        IoMode.AsyncArray => await s.ReadAsync(buffer, offset, count, ct),
        IoMode.AsyncMemory => await s.ReadAsync(buffer.AsMemory(offset, count), ct),
        _ => await Task.Factory.FromAsync(s.BeginRead, s.EndRead, buffer, offset, count, null),
    };
}
