using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Smolmix;
using Smolmix.CommandLine;
using Smolmix.Devnet;
using Smolmix.Examples.WebSocket;
using Smolmix.Http;
using Smolmix.Tls;

// smolmix-websocket: a chat-style WebSocket echo through a Smolmix tunnel (ClientWebSocket over SmolmixHandler).
//
//   smolmix-websocket [--stdin] [--http2] [--preset instant|nym|harsh]
//                     an embedded Devnet and an embedded Kestrel echo (wss://echo.smolmix.test/ws)
//   smolmix-websocket --nym-client ws://127.0.0.1:1977 --exit <IPR address> --url wss://echo.example/ws [--stdin] [--http2]
//
// Sends a few demo lines (or, with --stdin, each line read from stdin until end of input), prints each
// echo with its round-trip time, then closes the socket with a close handshake.
const string Name = "smolmix-websocket";
const string Usage = "usage: smolmix-websocket [--nym-client URI --exit ADDRESS --url ws(s)://HOST/PATH] [--stdin] [--http2] [--preset instant|nym|harsh] [--timeout SECONDS] [-v]\nexit codes: 0 ok, 1 failed (one line says why), 2 usage error, 130 interrupted";
return await CommandRunner.RunAsync(Name, args, async interrupt =>
{
    TimeSpan timeout = TimeSpan.FromMinutes(10);
    var opts = new Dictionary<string, string>(StringComparer.Ordinal);
    var preset = DevnetPreset.Nym;
    var reader = new ArgReader(args);
    Uri? url = null;
    bool http2 = false;
    while (reader.Next(out string? arg))
    {
        switch (arg)
        {
            case "--preset": preset = reader.Choice(arg, ("instant", DevnetPreset.Instant), ("nym", DevnetPreset.Nym), ("harsh", DevnetPreset.Harsh)); break;
            case "--nym-client": opts["nym-client"] = reader.NymClient(arg).ToString(); break;
            case "--exit": opts["exit"] = reader.ExitAddress(arg); break;
            case "--timeout": timeout = reader.Seconds(arg); break;
            case "-v" or "--verbose": break; // the runner prints the whole exception on failure
            case "-h" or "--help": Console.WriteLine(Usage); return ExitCode.Ok;
            case "--url": url = reader.Uri(arg, "ws", "wss"); opts["url"] = url.ToString(); break;
            case "--stdin": opts["stdin"] = "true"; break;
            case "--http2": http2 = true; break;
            default: throw reader.Unknown(arg);
        }
    }

    bool embedded = !opts.ContainsKey("nym-client");
    if (!embedded && (!opts.ContainsKey("exit") || !opts.ContainsKey("url")))
    {
        throw new UsageException("--nym-client needs --exit and --url");
    }

    if (embedded && opts.ContainsKey("exit"))
    {
        throw new UsageException("--exit goes with --nym-client (without it, the example brings its own embedded Devnet)");
    }

    using var cts = CancellationTokenSource.CreateLinkedTokenSource(interrupt);
    cts.CancelAfter(timeout);

    const string SiteName = "echo.smolmix.test";
    DevnetCertificateAuthority? ca = null;
    EchoSite? site = null;
    Devnet? devnet = null;
    try
    {
        Uri nymClient;
        string exit;
        var handlerOptions = new SmolmixHandlerOptions
        {
            ConnectionEstablished = c => Console.WriteLine(
                $"connected to {c.Host} ({c.RemoteEndPoint}): resolve {c.NameResolution.TotalMilliseconds:0} ms, tcp {c.TcpConnect.TotalMilliseconds:0} ms, tls {c.TlsHandshake.TotalMilliseconds:0} ms, HTTP/{c.HttpVersion}"),
        };
        if (embedded)
        {
            ca = DevnetCertificateAuthority.Create();
            site = await EchoSite.StartAsync(ca.IssueServerCertificate([SiteName]), cts.Token);
            var devnetOptions = new DevnetOptions { Preset = preset };
            devnetOptions.Hosts[SiteName] = site.EndPoint;
            devnet = await Devnet.StartAsync(devnetOptions, cts.Token);
            nymClient = devnet.NymClientUri;
            exit = devnet.ExitAddress;
            url ??= new Uri($"wss://{SiteName}:{site.EndPoint.Port}/ws");
            handlerOptions.Tls = new TunnelTlsOptions { TrustedRoots = new X509Certificate2Collection(ca.Certificate) };
            Console.WriteLine($"embedded Devnet ({preset}) at {nymClient}; Kestrel echo at {site.EndPoint}, named {SiteName}");
        }
        else
        {
            nymClient = new Uri(opts["nym-client"]);
            exit = opts["exit"];
        }

        CommandRunner.Step($"connecting the tunnel through {nymClient}");
        var clock = Stopwatch.StartNew();
        await using Tunnel tunnel = await Tunnel.ConnectAsync(new TunnelOptions { NymClient = nymClient, Exits = [exit], ConnectTimeout = timeout }, cts.Token);
        Console.WriteLine($"tunnel ready in {clock.ElapsedMilliseconds} ms ({tunnel.IPv4Address}, IPR v{tunnel.ProtocolVersion})");

        using var invoker = new HttpMessageInvoker(SmolmixHandler.Create(tunnel, handlerOptions));
        using var socket = new ClientWebSocket();
        if (http2)
        {
            socket.Options.HttpVersion = HttpVersion.Version20;
            socket.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }

        clock.Restart();
        await socket.ConnectAsync(url!, invoker, cts.Token);
        Console.WriteLine($"WebSocket open to {url} in {clock.ElapsedMilliseconds} ms");

        IEnumerable<string> lines = opts.ContainsKey("stdin")
            ? ReadLines(Console.In)
            : ["hello through the mixnet", "each line goes out and comes back", "ünïcode is fine too ✓", "bye"];
        var rtts = new List<double>();
        var buffer = new byte[64 * 1024];
        int mismatches = 0;
        foreach (string line in lines)
        {
            byte[] sent = Encoding.UTF8.GetBytes(line);
            clock.Restart();
            await socket.SendAsync(sent, WebSocketMessageType.Text, endOfMessage: true, cts.Token);
            using var echo = new MemoryStream();
            ValueWebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer.AsMemory(), cts.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    Console.Error.WriteLine($"{Name}: the server closed the socket ({socket.CloseStatus} {socket.CloseStatusDescription})");
                    return ExitCode.Failure;
                }

                echo.Write(buffer, 0, result.Count);
            }
            while (!result.EndOfMessage);

            double rtt = clock.Elapsed.TotalMilliseconds;
            rtts.Add(rtt);
            bool same = echo.ToArray().AsSpan().SequenceEqual(sent);
            mismatches += same ? 0 : 1;
            Console.WriteLine($"> {line}");
            Console.WriteLine($"< {Encoding.UTF8.GetString(echo.ToArray())}   ({rtt:0.0} ms{(same ? string.Empty : ", DIFFERENT")})");
        }

        clock.Restart();
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", cts.Token);
        Console.WriteLine($"closed ({socket.CloseStatus}) in {clock.ElapsedMilliseconds} ms");
        if (rtts.Count > 0)
        {
            rtts.Sort();
            Console.WriteLine($"messages={rtts.Count} rtt min={rtts[0]:0.0} ms median={rtts[rtts.Count / 2]:0.0} ms max={rtts[^1]:0.0} ms mismatches={mismatches}");
        }

        return mismatches == 0 ? 0 : 1;
    }
    finally
    {
        if (devnet is not null)
        {
            await devnet.DisposeAsync();
        }

        if (site is not null)
        {
            await site.DisposeAsync();
        }

        ca?.Dispose();
    }
});

static IEnumerable<string> ReadLines(TextReader reader)
{
    while (reader.ReadLine() is { } line)
    {
        yield return line;
    }
}
