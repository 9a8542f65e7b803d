using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Smolmix.CommandLine;
using Smolmix.Devnet;
using DevnetHost = Smolmix.Devnet.Devnet;

namespace Smolmix.Cli;

/// <summary>
/// `smolmix demo [KiB] [--preset instant|nym|harsh] [--timeout S] [-v]`: starts an embedded Devnet (nym-client endpoint,
/// mixnet model, IPR exit with userspace NAT), a TCP and a UDP echo server on loopback, and then does what
/// an application would: <c>Tunnel.ConnectAsync</c>, a TCP echo checked by SHA-256, UDP datagrams, a ping.
/// </summary>
internal static class DemoCommand
{
    public const string Usage = """
        usage: smolmix demo [KiB] [options]
          KiB                  how much to echo over TCP (default 256)
          --preset P           the embedded Devnet's mixnet model: instant | nym | harsh (default nym)
          --timeout SECONDS    the bound on the whole demo (default 300)
          -v, --verbose        log at Debug level (Smolmix categories) to standard error
          -h, --help           this text
        Each step prints a line as it starts and as it ends; no network is needed.
        """;

    public static async Task<int> RunAsync(string[] args, CancellationToken interrupt)
    {
        int kib = 256;
        var preset = DevnetPreset.Nym;
        TimeSpan timeout = TimeSpan.FromMinutes(5);
        bool verbose = false;
        bool kibGiven = false;
        var reader = new ArgReader(args);
        while (reader.Next(out string? arg))
        {
            switch (arg)
            {
                case "--preset":
                    preset = reader.Choice(arg, ("instant", DevnetPreset.Instant), ("nym", DevnetPreset.Nym), ("harsh", DevnetPreset.Harsh));
                    break;
                case "--timeout":
                    timeout = reader.Seconds(arg);
                    break;
                case "-v":
                case "--verbose":
                    verbose = true;
                    break;
                case "-h":
                case "--help":
                    Console.WriteLine(Usage);
                    return ExitCode.Ok;
                default:
                    if (arg.StartsWith('-') || kibGiven)
                    {
                        throw reader.Unknown(arg);
                    }

                    if (!int.TryParse(arg, NumberStyles.None, CultureInfo.InvariantCulture, out kib) || kib is < 1 or > 1024 * 1024)
                    {
                        throw ArgReader.Bad("KiB", "a whole number from 1 to 1048576", arg);
                    }

                    kibGiven = true;
                    break;
            }
        }

        using StderrLoggerFactory? loggers = verbose ? new StderrLoggerFactory(c => c.StartsWith("Smolmix", StringComparison.Ordinal) ? LogLevel.Debug : LogLevel.Information) : null;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(interrupt);
        cts.CancelAfter(timeout);
        Console.WriteLine($"smolmix demo: starting an embedded Devnet ({preset.ToString().ToLowerInvariant()} preset) and echo servers on 127.0.0.1…");
        await using var devnet = await DevnetHost.StartAsync(new DevnetOptions { Preset = preset, LoggerFactory = loggers }, cts.Token);
        Console.WriteLine($"  nym-client endpoint {devnet.NymClientUri}, exit {devnet.ExitAddress[..16]}…");

        using var echoTcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        echoTcp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        echoTcp.Listen();
        var tcpServer = Task.Run(() => EchoTcpAsync(echoTcp, cts.Token));
        using var echoUdp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        echoUdp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var udpServer = Task.Run(() => EchoUdpAsync(echoUdp, cts.Token));

        Console.WriteLine("tunnel: connecting (a few seconds on the nym preset)…");
        var sw = Stopwatch.StartNew();
        await using var tunnel = await Tunnel.ConnectAsync(new TunnelOptions { NymClient = devnet.NymClientUri, Exits = [devnet.ExitAddress], LoggerFactory = loggers }, cts.Token);
        Console.WriteLine($"tunnel: {tunnel.State} in {sw.Elapsed.TotalSeconds:0.00} s — address {tunnel.IPv4Address}, IPR v{tunnel.ProtocolVersion}, MTU {tunnel.Mtu}");

        var rtt = await tunnel.PingAsync(IPAddress.Parse("10.0.0.1"), cts.Token);
        Console.WriteLine($"ping 10.0.0.1 (the exit): {rtt.TotalMilliseconds:0} ms");

        Console.WriteLine($"tcp: echoing {kib} KiB…");
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
