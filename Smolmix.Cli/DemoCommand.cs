using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using Smolmix.Devices;

namespace Smolmix.Cli;

/// <summary>
/// `smolmix demo`: a TCP and a UDP exchange between two userspace stacks over a mixnet-shaped
/// in-memory path (per-packet random delays that reorder, loss, a rate limit).
/// </summary>
internal static class DemoCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        int kib = args.Length > 0 && int.TryParse(args[0], out int k) ? k : 256;
        Console.WriteLine($"smolmix demo: {kib} KiB over TCP and 5 UDP datagrams across a mixnet-shaped path");
        ImpairmentOptions Direction(int seed) => new()
        {
            Seed = seed,
            LossRate = 0.01,
            BaseDelay = TimeSpan.FromMilliseconds(60),
            Jitter = DelayDistribution.Gamma(3, TimeSpan.FromMilliseconds(15)),
            RateBytesPerSecond = 400_000,
        };
        var (clientSide, exitSide) = InMemoryPacketLink.CreatePair();
        var impaired = new ImpairmentDevice(clientSide, Direction(1), Direction(2));
        await using var client = NetStack.Start(impaired, IPAddress.Parse("10.0.0.2"));
        await using var exit = NetStack.Start(exitSide, IPAddress.Parse("10.0.0.1"));
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        // Exit side: a TCP echo server and a UDP echo server.
        using var listener = exit.Listen(7);
        var echoTcp = Task.Run(async () =>
        {
            await using var s = await listener.AcceptAsync(cts.Token);
            await s.CopyToAsync(s, cts.Token);
            s.ShutdownWrite();
        });
        using var udpEcho = exit.BindUdp(7);
        var echoUdp = Task.Run(async () =>
        {
            var buf = new byte[2048];
            for (int i = 0; i < 5; i++)
            {
                var r = await udpEcho.ReceiveFromAsync(buf, cts.Token);
                await udpEcho.SendToAsync(buf.AsMemory(0, r.ReceivedBytes), r.RemoteEndPoint, cts.Token);
            }
        });

        var rtt = await client.PingAsync(IPAddress.Parse("10.0.0.1"), TimeSpan.FromSeconds(5), cancellationToken: cts.Token);
        Console.WriteLine($"ping 10.0.0.1: {rtt.TotalMilliseconds:0} ms");

        var sw = Stopwatch.StartNew();
        await using var tcp = await client.ConnectTcpAsync(new IPEndPoint(IPAddress.Parse("10.0.0.1"), 7), TimeSpan.FromSeconds(10), cts.Token);
        Console.WriteLine($"tcp connected to {tcp.RemoteEndPoint} from {tcp.LocalEndPoint} in {sw.ElapsedMilliseconds} ms");
        var data = RandomNumberGenerator.GetBytes(kib * 1024);
        var send = Task.Run(async () => { await tcp.WriteAsync(data, cts.Token); tcp.ShutdownWrite(); });
        var back = new MemoryStream();
        await tcp.CopyToAsync(back, cts.Token);
        await send;
        await echoTcp;
        bool same = SHA256.HashData(back.ToArray()).AsSpan().SequenceEqual(SHA256.HashData(data));
        Console.WriteLine($"tcp echo: {back.Length} bytes back in {sw.Elapsed.TotalSeconds:0.00} s, SHA-256 {(same ? "matches" : "DIFFERS")}");

        using var udp = client.BindUdp();
        var rbuf = new byte[2048];
        int ok = 0;
        for (int i = 0; i < 5; i++)
        {
            var msg = System.Text.Encoding.UTF8.GetBytes($"datagram {i}");
            await udp.SendToAsync(msg, new IPEndPoint(IPAddress.Parse("10.0.0.1"), 7), cts.Token);
            using var one = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
            one.CancelAfter(TimeSpan.FromSeconds(2));
            try
            {
                var r = await udp.ReceiveFromAsync(rbuf, one.Token);
                ok += rbuf.AsSpan(0, r.ReceivedBytes).SequenceEqual(msg) ? 1 : 0;
            }
            catch (OperationCanceledException) when (!cts.IsCancellationRequested)
            {
                // A lost datagram: UDP makes no promises.
            }
        }
        Console.WriteLine($"udp echo: {ok}/5 datagrams came back");
        var m = client.Metrics;
        Console.WriteLine($"client stack: {m.PacketsOut} packets out, {m.PacketsIn} in, {m.TcpRetransmits} TCP retransmissions, {m.TotalDrops} drops");
        return same && ok > 0 ? 0 : 1;
    }
}
