using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Smolmix.Devnet;
using DevnetHost = Smolmix.Devnet.Devnet;

namespace Smolmix.Cli;

/// <summary>
/// `smolmix demo [KiB] [--preset instant|nym|harsh]`: starts an embedded Devnet (nym-client endpoint,
/// mixnet model, IPR exit with userspace NAT), a TCP and a UDP echo server on loopback, and then does what
/// an application would: <c>Tunnel.ConnectAsync</c>, a TCP echo checked by SHA-256, UDP datagrams, a ping.
/// </summary>
internal static class DemoCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        int kib = 256;
        var preset = DevnetPreset.Nym;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--preset" && i + 1 < args.Length && Enum.TryParse(args[++i], ignoreCase: true, out DevnetPreset p))
            {
                preset = p;
            }
            else if (int.TryParse(args[i], out int k) && k > 0)
            {
                kib = k;
            }
            else
            {
                Console.Error.WriteLine("usage: smolmix demo [KiB] [--preset instant|nym|harsh]");
                return 2;
            }
        }
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        Console.WriteLine($"smolmix demo: an embedded Devnet ({preset.ToString().ToLowerInvariant()} preset) and echo servers on 127.0.0.1");
        await using var devnet = await DevnetHost.StartAsync(new DevnetOptions { Preset = preset }, cts.Token);
        Console.WriteLine($"  nym-client endpoint {devnet.NymClientUri}, exit {devnet.ExitAddress[..16]}…");

        using var echoTcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        echoTcp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        echoTcp.Listen();
        var tcpServer = Task.Run(() => EchoTcpAsync(echoTcp, cts.Token));
        using var echoUdp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        echoUdp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var udpServer = Task.Run(() => EchoUdpAsync(echoUdp, cts.Token));

        var sw = Stopwatch.StartNew();
        await using var tunnel = await Tunnel.ConnectAsync(new TunnelOptions { NymClient = devnet.NymClientUri, Exits = [devnet.ExitAddress] }, cts.Token);
        Console.WriteLine($"tunnel: {tunnel.State} in {sw.Elapsed.TotalSeconds:0.00} s — address {tunnel.IPv4Address}, IPR v{tunnel.ProtocolVersion}, MTU {tunnel.Mtu}");

        var rtt = await tunnel.PingAsync(IPAddress.Parse("10.0.0.1"), cts.Token);
        Console.WriteLine($"ping 10.0.0.1 (the exit): {rtt.TotalMilliseconds:0} ms");

        sw.Restart();
        await using var tcp = await tunnel.ConnectTcpAsync((IPEndPoint)echoTcp.LocalEndPoint!, cts.Token);
        Console.WriteLine($"tcp: connected to {tcp.RemoteEndPoint} in {sw.ElapsedMilliseconds} ms");
        byte[] data = RandomNumberGenerator.GetBytes(kib * 1024);
        var send = Task.Run(async () =>
        {
            await tcp.WriteAsync(data, cts.Token);
            tcp.ShutdownWrite();
        });
        var back = new MemoryStream();
        await tcp.CopyToAsync(back, cts.Token);
        await send;
        bool same = SHA256.HashData(back.ToArray()).AsSpan().SequenceEqual(SHA256.HashData(data));
        Console.WriteLine($"tcp: {kib} KiB echoed in {sw.Elapsed.TotalSeconds:0.00} s, SHA-256 {(same ? "matches" : "DIFFERS")}");

        using var udp = tunnel.BindUdp();
        var buf = new byte[2048];
        int ok = 0;
        for (int i = 0; i < 5; i++)
        {
            byte[] msg = System.Text.Encoding.UTF8.GetBytes($"datagram {i}");
            await udp.SendToAsync(msg, (IPEndPoint)echoUdp.LocalEndPoint!, cts.Token);
            using var one = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
            one.CancelAfter(TimeSpan.FromSeconds(5));
            try
            {
                var r = await udp.ReceiveFromAsync(buf, one.Token);
                ok += buf.AsSpan(0, r.ReceivedBytes).SequenceEqual(msg) ? 1 : 0;
            }
            catch (OperationCanceledException) when (!cts.IsCancellationRequested)
            {
                // A lost datagram: UDP promises nothing.
            }
        }
        Console.WriteLine($"udp: {ok}/5 datagrams echoed");
        var m = tunnel.Metrics;
        Console.WriteLine($"tunnel: {m.IpPacketsSent} IP packets sent in {m.MessagesSent} mixnet messages ({m.SphinxPacketsSent} Sphinx packets, {m.SurbsSent} reply SURBs); {m.IpPacketsReceived} received");
        await cts.CancelAsync();
        return same && ok > 0 ? 0 : 1;
    }

    private static async Task EchoTcpAsync(Socket listener, CancellationToken ct)
    {
        try
        {
            using Socket c = await listener.AcceptAsync(ct);
            var buf = new byte[64 * 1024];
            int n;
            while ((n = await c.ReceiveAsync(buf, SocketFlags.None, ct)) > 0)
            {
                await c.SendAsync(buf.AsMemory(0, n), SocketFlags.None, ct);
            }
            c.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
        }
    }

    private static async Task EchoUdpAsync(Socket s, CancellationToken ct)
    {
        var buf = new byte[2048];
        try
        {
            while (true)
            {
                var r = await s.ReceiveFromAsync(buf, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), ct);
                await s.SendToAsync(buf.AsMemory(0, r.ReceivedBytes), SocketFlags.None, r.RemoteEndPoint, ct);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
        }
    }
}
