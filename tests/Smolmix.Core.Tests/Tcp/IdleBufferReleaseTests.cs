using Smolmix.Simulation;
using Smolmix.Tcp;
using Smolmix.Tests.TcpSegments;
using Smolmix.Wire;
using Xunit.Abstractions;
using static Smolmix.Tests.Tcp.SimulatedConnections;

namespace Smolmix.Tests.Tcp;

/// <summary>
/// Issue 10 item 4: a connection that went idle after moving data gives its grown buffers back (its rings
/// return to 2 KiB), without shrinking the receive window it advertised, and later transfers are byte-exact.
/// Runs on virtual time (two stacks over <see cref="SimulatedPath"/>) and on a fake clock (scripted peer).
/// </summary>
public sealed class IdleBufferReleaseTests(ITestOutputHelper output)
{
    private const int MiB = 1 << 20;

    [Fact]
    public void BusyThenIdle_BothEndsReturnToTheIdleFootprint_AndLaterTransfersAreByteExact()
    {
        var path = NewPath();
        var (client, server, _) = Connect(path);
        int clientIdle = BufferBytes(path.Client, client);
        int serverIdle = BufferBytes(path.Server, server);
        output.WriteLine($"idle after the handshake: client {clientIdle} B, server {serverIdle} B");

        long released = 0;
        for (int round = 0; round < 2; round++)
        {
            Exchange(path, client, server, MiB, seed: round);
            int clientBusy = BufferBytes(path.Client, client);
            int serverBusy = BufferBytes(path.Server, server);
            Assert.True(clientBusy >= 64 * 1024 && serverBusy >= 64 * 1024, $"buffers did not grow: client {clientBusy}, server {serverBusy}");

            // Idle for less than the release delay: the buffers stay (a burst may follow at once).
            RunIdle(path, TimeSpan.FromSeconds(3));
            Assert.Equal(clientBusy, BufferBytes(path.Client, client));
            Assert.Equal(serverBusy, BufferBytes(path.Server, server));

            RunIdle(path, TimeSpan.FromSeconds(10));
            int clientAfter = BufferBytes(path.Client, client);
            int serverAfter = BufferBytes(path.Server, server);
            output.WriteLine($"round {round}: 1 MiB each way; buffers client {clientBusy} -> {clientAfter} B, server {serverBusy} -> {serverAfter} B after idling");
            Assert.Equal(clientIdle, clientAfter);
            Assert.Equal(serverIdle, serverAfter);
            Assert.Equal(round + 1, path.Client.Metrics.TcpIdleBufferReleases);
            Assert.Equal(round + 1, path.Server.Metrics.TcpIdleBufferReleases);
            released += clientBusy - clientIdle;
            Assert.Equal(released, path.Client.Metrics.TcpIdleBufferBytesReleased);
        }

        lock (path.Client.Sync)
        {
            Assert.Equal(TcpState.Established, client.State);
        }
    }

    [Fact]
    public void UnreadData_KeepsTheReceiveRing_UntilTheApplicationReadsIt()
    {
        var path = NewPath();
        var (client, server, _) = Connect(path);
        var data = TestData(200_000, 9);
        lock (path.Client.Sync)
        {
            Assert.Equal(data.Length, client.Write(data));
        }

        // The server's application does not read: its ring holds the bytes however long the connection idles,
        // while the client's empty send ring is released.
        RunIdle(path, TimeSpan.FromSeconds(20));
        lock (path.Server.Sync)
        {
            Assert.Equal(data.Length, server.Readable);
        }
        Assert.True(BufferBytes(path.Server, server) >= data.Length);
        Assert.Equal(1, path.Client.Metrics.TcpIdleBufferReleases);
        Assert.Equal(0, path.Server.Metrics.TcpIdleBufferReleases);

        var got = new byte[data.Length];
        lock (path.Server.Sync)
        {
            Assert.Equal(data.Length, server.Read(got));
        }
        Assert.Equal(data, got);
        RunIdle(path, TimeSpan.FromSeconds(20));
        Assert.Equal(1, path.Server.Metrics.TcpIdleBufferReleases);
        Assert.True(BufferBytes(path.Server, server) < 8 * 1024);
    }

    [Fact]
    public async Task ShrunkReceiveRing_StillTakesDataUpToTheRightEdgeAlreadyAdvertised()
    {
        await using var h = new TcpHarness();
        var s = await h.ConnectAsync();
        var conn = TcpHarness.Conn(s);
        int idle = Locked(h, () => conn.BufferBytes);
        int mss = h.OurMss - 12;

        // 200 KB in order, read every 20 segments (so the ring grows); then idle past the release delay.
        var received = new List<byte>();
        Seg? last = null;
        var sent = new List<byte>();
        for (int i = 0; i < 150; i++)
        {
            sent.AddRange(TcpHarness.Bytes(mss, i));
            h.SendData(TcpHarness.Bytes(mss, i));
            if (i % 20 == 19 || i == 149)
            {
                received.AddRange(h.ReadAvailable(s));
            }
            last = h.Drain().LastOrDefault() ?? last;
        }
        Assert.Equal(sent, received);
        h.AdvanceMs(50);
        last = h.Drain().LastOrDefault() ?? last;
        Assert.NotNull(last);
        Assert.True(Locked(h, () => conn.BufferBytes) > idle);
        uint edge = last.Ack + ((uint)last.Window << 7);
        h.Advance(TimeSpan.FromSeconds(10));
        h.Silent();
        Assert.Equal(idle, Locked(h, () => conn.BufferBytes));
        Assert.Equal(1, h.Stack.Metrics.TcpIdleBufferReleases);

        // The peer fills the window it was offered before the shrink, last segment first: all of it is taken.
        uint start = h.PeerNxt;
        int window = (int)(edge - start);
        output.WriteLine($"advertised window at the shrink: {window} B");
        Assert.True(window > 200_000, $"window {window}");
        byte[] fill = TestData(window, 3);
        int tail = mss;
        h.SendData(fill[^tail..], seq: edge - (uint)tail);
        var sackAck = h.Single();
        Assert.Equal(start, sackAck.Ack);
        Assert.Contains(new SackBlock(edge - (uint)tail, edge), sackAck.Sacks);
        Assert.True(Seq.Ge(sackAck.Ack + ((uint)sackAck.Window << 7), edge), "the right edge moved left");
        for (int off = 0; off < window - tail; off += mss)
        {
            h.SendData(fill[off..Math.Min(off + mss, window - tail)]);
        }
        h.PeerNxt = edge;
        h.AdvanceMs(50);
        Assert.Equal(edge, h.Drain()[^1].Ack);
        Assert.Equal(fill, h.ReadAvailable(s));
        Assert.Equal(0, h.Stack.Metrics.Drops(DropReason.TcpUnacceptable));
    }

    private static int BufferBytes(NetStack stack, TcpConnection c)
    {
        lock (stack.Sync)
        {
            return c.BufferBytes;
        }
    }

    private static T Locked<T>(TcpHarness h, Func<T> f)
    {
        lock (h.Stack.Sync)
        {
            return f();
        }
    }
}
