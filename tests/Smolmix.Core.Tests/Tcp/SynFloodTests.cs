using System.Buffers.Binary;
using Smolmix.Simulation;
using Smolmix.Tcp;
using Smolmix.Wire;
using Xunit.Abstractions;
using static Smolmix.Tests.Tcp.SimulatedConnections;

namespace Smolmix.Tests.Tcp;

/// <summary>
/// Issue 10 item 4: a listener survives a SYN flood. Spoofed SYNs from thousands of addresses that never
/// complete the handshake fill the half-open queue (bounded by the backlog); every SYN past it is answered
/// with a SYN cookie and no state, so a real client connects at once and the server's memory stays bounded.
/// Two stacks on virtual time; the flood is injected into the server's input.
/// </summary>
public sealed class SynFloodTests(ITestOutputHelper output)
{
    private const int FloodSyns = 10_000;

    [Fact]
    public void TenThousandSpoofedSyns_DoNotKeepARealClientOut_AndHalfOpenStateStaysBounded()
    {
        var path = NewPath();
        int backlog = path.Server.Options.ListenBacklog;
        var listener = path.Server.Listen(80);
        var flood = new SpoofedSyns(seed: 42);
        for (int i = 0; i < FloodSyns; i++)
        {
            path.Server.Input(flood.Next());
            if (i % 1000 == 999)
            {
                Assert.True(path.Server.ConnectionCount <= backlog, $"{path.Server.ConnectionCount} connections after {i + 1} SYNs");
            }
        }
        var m = path.Server.Metrics;
        Assert.Equal(backlog, path.Server.ConnectionCount);
        Assert.Equal(backlog, HalfOpen(path, listener));
        Assert.Equal(FloodSyns - backlog, m.TcpSynCookiesSent);

        // The flood goes on at 20,000 SYNs a second of virtual time while a real client connects.
        TimeSpan floodClock = path.Clock.Now;
        var (client, server, took) = Connect(path, listener, TimeSpan.FromSeconds(1), () =>
        {
            for (; floodClock < path.Clock.Now; floodClock += TimeSpan.FromMilliseconds(0.05))
            {
                path.Server.Input(flood.Next());
            }
        });
        output.WriteLine($"accepted {took.TotalMilliseconds:0} ms (virtual) after the connect started; {flood.Sent} spoofed SYNs in all; " +
            $"cookies sent {m.TcpSynCookiesSent}, accepted {m.TcpSynCookiesAccepted}, rejected {m.TcpSynCookiesRejected}; server connections {path.Server.ConnectionCount}");
        Assert.True(took <= TimeSpan.FromMilliseconds(100), $"took {took}: one round trip and a half is 60 ms");
        Assert.Equal(1, m.TcpSynCookiesAccepted);
        Assert.Equal(backlog + 1, path.Server.ConnectionCount);
        Assert.True(HalfOpen(path, listener) <= backlog);

        // The cookie carried the client's options: window scaling, SACK and timestamps are on, and data flows both ways.
        lock (path.Server.Sync)
        {
            var o = server.NegotiatedOptions;
            Assert.Equal(TcpConnection.WindowScaleFor(path.Client.Options.TcpMaxReceiveBufferSize), o.SendShift);
            Assert.True(o.ReceiveShift > 0 && o.Sack && o.Timestamps, $"{o}");
        }
        Exchange(path, client, server, 1 << 20, seed: 7);

        // Half-open entries of the flood expire (their SYN-ACKs are never answered); no state is left behind.
        RunIdle(path, TimeSpan.FromSeconds(70));
        Assert.Equal(0, HalfOpen(path, listener));
        Assert.Equal(1, path.Server.ConnectionCount);
    }

    private static int HalfOpen(SimulatedPath path, TcpStreamListener listener)
    {
        lock (path.Server.Sync)
        {
            Assert.Equal(path.Server.ConnectionsForTesting().Count(c => c.State == TcpState.SynReceived), listener.HalfOpen);
            return listener.HalfOpen;
        }
    }

    /// <summary>SYNs to 10.0.0.1:80 from random addresses in 198.18.0.0/15 and random ports, with Linux's options.</summary>
    private sealed class SpoofedSyns(int seed)
    {
        private static readonly IpAddr Server = IpAddr.From(System.Net.IPAddress.Parse("10.0.0.1"));
        private readonly Random _rng = new(seed);

        public int Sent { get; private set; }

        public byte[] Next()
        {
            Sent++;
            Span<byte> a = stackalloc byte[4];
            a[0] = 198;
            a[1] = (byte)(18 + _rng.Next(2));
            a[2] = (byte)_rng.Next(256);
            a[3] = (byte)_rng.Next(1, 255);
            var src = IpAddr.From(new System.Net.IPAddress(a));
            var opts = TcpOptions.Empty;
            opts.Mss = 1460;
            opts.SackPermitted = true;
            opts.HasTimestamps = true;
            opts.TsVal = (uint)_rng.Next();
            opts.WindowScale = 7;
            int tcpLen = TcpHeader.MinLength + opts.EncodedLength;
            var packet = new byte[Ipv4Header.MinLength + tcpLen];
            TcpHeader.Write(packet.AsSpan(Ipv4Header.MinLength), (ushort)_rng.Next(1024, 65536), 80, (uint)_rng.Next(), 0,
                TcpFlags.Syn, 64240, in opts, 0, src, Server);
            Ipv4Header.Write(packet, src, Server, IpProtocol.Tcp, tcpLen, (ushort)Sent);
            Assert.Equal(packet.Length, BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(2)));
            return packet;
        }
    }
}
