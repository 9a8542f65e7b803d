using System.Net;
using Smolmix.Devices;
using Smolmix.Simulation;
using Smolmix.Tcp;

namespace Smolmix.Tests.Tcp;

/// <summary>Connections between the two stacks of a <see cref="SimulatedPath"/>, driven by hand on its virtual clock.</summary>
internal static class SimulatedConnections
{
    /// <summary>Two stacks 40 ms apart (20 ms each way), no loss.</summary>
    public static SimulatedPath NewPath() => new(
        new ImpairmentOptions { Seed = 1, BaseDelay = TimeSpan.FromMilliseconds(20) },
        new ImpairmentOptions { Seed = 2, BaseDelay = TimeSpan.FromMilliseconds(20) });

    /// <summary>
    /// Connects the client to the server's port 80 (listening on <paramref name="listener"/>, or a new listener)
    /// and returns both ends once the server has accepted; <paramref name="betweenEvents"/> runs after every
    /// event (e.g. to keep a flood going). Fails past <paramref name="bound"/> of virtual time.
    /// </summary>
    public static (TcpConnection Client, TcpConnection Server, TimeSpan Took) Connect(SimulatedPath path, TcpStreamListener? listener = null,
        TimeSpan? bound = null, Action? betweenEvents = null)
    {
        listener ??= path.Server.Listen(80);
        TimeSpan start = path.Clock.Now;
        TimeSpan limit = start + (bound ?? TimeSpan.FromSeconds(10));
        var connect = path.Client.ConnectTcpAsync(new IPEndPoint(IPAddress.Parse("10.0.0.1"), 80));
        TcpConnection? client = null;
        TcpStream? accepted = null;
        while (client is null || accepted is null)
        {
            Assert.True(path.Clock.Now <= limit, $"not connected within {limit - start}");
            Assert.False(connect.IsFaulted, connect.Exception?.ToString());
            Assert.True(path.Clock.RunNext(), "the handshake stalled");
            betweenEvents?.Invoke();
            lock (path.Client.Sync)
            {
                client ??= path.Client.ConnectionsForTesting().FirstOrDefault(c => c.IsSynchronized && c.Id.RemotePort == 80);
            }
            if (accepted is null)
            {
                listener.TryAccept(out accepted);
            }
        }
        return (client, accepted.Connection, path.Clock.Now - start);
    }

    /// <summary>Each end sends <paramref name="bytes"/> and reads the other's, checking every byte (bounded in virtual time).</summary>
    public static void Exchange(SimulatedPath path, TcpConnection client, TcpConnection server, int bytes, int seed)
    {
        byte[] up = TestData(bytes, seed * 2 + 1);
        byte[] down = TestData(bytes, seed * 2 + 2);
        var upGot = new MemoryStream();
        var downGot = new MemoryStream();
        int upSent = 0, downSent = 0;
        var buf = new byte[64 * 1024];
        TimeSpan limit = path.Clock.Now + TimeSpan.FromSeconds(120);
        while (true)
        {
            lock (path.Client.Sync)
            {
                upSent += client.Write(up.AsSpan(upSent));
                int n;
                while ((n = client.Read(buf)) > 0)
                {
                    downGot.Write(buf, 0, n);
                }
            }
            lock (path.Server.Sync)
            {
                downSent += server.Write(down.AsSpan(downSent));
                int n;
                while ((n = server.Read(buf)) > 0)
                {
                    upGot.Write(buf, 0, n);
                }
            }
            if (upGot.Length == bytes && downGot.Length == bytes)
            {
                break;
            }
            Assert.True(path.Clock.Now < limit, $"transfer incomplete at {path.Clock.Now}");
            Assert.True(path.Clock.RunNext(), "transfer stalled");
        }
        Assert.Equal(up, upGot.ToArray());
        Assert.Equal(down, downGot.ToArray());
    }

    /// <summary>Runs every event due within <paramref name="duration"/> of virtual time; no application I/O.</summary>
    public static void RunIdle(SimulatedPath path, TimeSpan duration)
    {
        TimeSpan until = path.Clock.Now + duration;
        while (path.Clock.NextEventTime is TimeSpan t && t <= until)
        {
            path.Clock.RunNext();
        }
    }

    /// <summary>Seeded random bytes.</summary>
    public static byte[] TestData(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }
}
