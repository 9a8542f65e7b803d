using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Smolmix;
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
const string Usage = "usage: smolmix-websocket [--nym-client URI --exit ADDRESS --url ws(s)://HOST/PATH] [--stdin] [--http2] [--preset instant|nym|harsh]";
string[] flags = ["stdin", "http2"];
var opts = new Dictionary<string, string>(StringComparer.Ordinal);
for (int i = 0; i < args.Length; i++)
{
    if (args[i] is "-h" or "--help")
    {
        Console.WriteLine(Usage);
        return 0;
    }

    if (!args[i].StartsWith("--", StringComparison.Ordinal))
    {
        Console.Error.WriteLine($"{Name}: unexpected argument {args[i]}\n{Usage}");
        return 2;
    }

    string key = args[i][2..];
    if (flags.Contains(key))
    {
        opts[key] = "true";
    }
    else if (i + 1 < args.Length)
    {
        opts[key] = args[++i];
    }
    else
    {
        Console.Error.WriteLine($"{Name}: {args[i]} needs a value\n{Usage}");
        return 2;
    }
}

var preset = DevnetPreset.Nym;
if (opts.TryGetValue("preset", out string? presetText) && !Enum.TryParse(presetText, ignoreCase: true, out preset))
{
    Console.Error.WriteLine($"{Name}: --preset {presetText} is not one of instant, nym, harsh");
    return 2;
}

bool embedded = !opts.ContainsKey("nym-client");
if (!embedded && (!opts.ContainsKey("exit") || !opts.ContainsKey("url")))
{
    Console.Error.WriteLine($"{Name}: --nym-client needs --exit and --url\n{Usage}");
    return 2;
}

Uri? url = null;
if (opts.TryGetValue("url", out string? urlText) && (!Uri.TryCreate(urlText, UriKind.Absolute, out url) || url.Scheme is not ("ws" or "wss")))
{
    Console.Error.WriteLine($"{Name}: --url {urlText} is not a ws:// or wss:// address");
    return 2;
}

bool http2 = opts.ContainsKey("http2");
using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(10));
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cts.Cancel();
};

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

    var clock = Stopwatch.StartNew();
    await using Tunnel tunnel = await Tunnel.ConnectAsync(new TunnelOptions { NymClient = nymClient, Exits = [exit] }, cts.Token);
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
                return 3;
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
catch (OperationCanceledException)
{
    Console.Error.WriteLine($"{Name}: cancelled");
    return 130;
}
catch (Exception ex) when (ex is WebSocketException or HttpRequestException or TimeoutException or IOException or SocketException or ArgumentException)
{
    string inner = ex.InnerException is { } i ? $" ({i.Message})" : string.Empty;
    Console.Error.WriteLine($"{Name}: {ex.Message}{inner}");
    return 3;
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

static IEnumerable<string> ReadLines(TextReader reader)
{
    while (reader.ReadLine() is { } line)
    {
        yield return line;
    }
}
