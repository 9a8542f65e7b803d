using System.Net;
using System.Net.Sockets;
using Smolmix.Simulation;
using Smolmix.Tcp;

namespace Smolmix.Tests.Tcp;

/// <summary>
/// Issue 10 item 9: a dead peer is found on an idle stream when keepalive is on (StackOptions.KeepAliveIdle,
/// KeepAliveInterval, KeepAliveProbes; RFC 1122 §4.2.3.6, off by default), stack to stack on virtual time.
/// </summary>
public class KeepaliveDeadPeerTests
{
    private static (SimulatedPath Path, TcpConnection Client) Connect(StackOptions options)
    {
        var path = new SimulatedPath(new() { BaseDelay = TimeSpan.FromMilliseconds(300) }, new() { BaseDelay = TimeSpan.FromMilliseconds(300) }, options);
        var listener = path.Server.Listen(80);
        _ = path.Client.ConnectTcpAsync(new IPEndPoint(IPAddress.Parse("10.0.0.1"), 80));
        for (int i = 0; i < 1000 && path.Clock.RunNext() && !listener.TryAccept(out _); i++)
        {
        }
        TcpConnection? c;
        lock (path.Client.Sync)
        {
            c = path.Client.ConnectionsForTesting().Single();
        }
        Assert.Equal(TcpState.Established, c.State);
        return (path, c);
    }

    private static void RunUntil(SimulatedPath path, TimeSpan until)
    {
        for (int i = 0; i < 1_000_000 && path.Clock.NextEventTime is TimeSpan t && t <= until; i++)
        {
            path.Clock.RunNext();
        }
    }

    [Fact]
    public void IdleStream_DeadPeer_FoundAfterIdlePlusProbes()
    {
        var (path, c) = Connect(new StackOptions
        {
            KeepAliveIdle = TimeSpan.FromSeconds(60),
            KeepAliveInterval = TimeSpan.FromSeconds(10),
            KeepAliveProbes = 3,
        });
        var start = path.Clock.Now;
        RunUntil(path, start + TimeSpan.FromSeconds(200)); // a live idle peer answers the probes
        Assert.Equal(TcpState.Established, c.State);
        path.Forward.Down = true; // the peer dies: nothing reaches it any more
        path.Reverse.Down = true;
        var died = path.Clock.Now;
        RunUntil(path, died + TimeSpan.FromSeconds(60 + 3 * 10 + 2));
        Assert.Equal(TcpState.Closed, c.State);
        Assert.Equal(SocketError.TimedOut, c.Error);
    }

    [Fact]
    public void IdleStream_DeadPeer_WithoutKeepalive_StaysOpen()
    {
        var (path, c) = Connect(new StackOptions());
        path.Forward.Down = true;
        path.Reverse.Down = true;
        RunUntil(path, path.Clock.Now + TimeSpan.FromHours(3));
        Assert.Equal(TcpState.Established, c.State); // RFC 1122: keepalive MUST default to off
    }
}
