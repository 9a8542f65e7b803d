using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Grpc.Net.Client;
using Smolmix;
using Smolmix.Echo;
using Smolmix.Http;
using Smolmix.Tls;

// smolmix-leak-probe: the client side of the HTTP leak test. Through one tunnel and one handler it
// does HTTPS over HTTP/1.1, HTTPS over HTTP/2, a wss WebSocket echo and a gRPC call, printing one
// "ok <what>" line each, so a test can run it under strace and check that nothing left any other way.
//   smolmix-leak-probe --nym-client URI --exit ADDRESS --ca CA.pem --base https://name:port/
//
// Two more modes serve the proxy test (run with HTTP(S)_PROXY/ALL_PROXY pointing at a trap):
//   smolmix-leak-probe tunnel --nym-client URI --nym-api URI   a tunnel that discovers its exit in the directory
//   smolmix-leak-probe control --nym-client URI --nym-api URI  what a default HttpClient and ClientWebSocket do (they follow the variables)
string mode = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "http";
var opts = new Dictionary<string, string>();
for (int i = mode == "http" ? 0 : 1; i + 1 < args.Length; i += 2)
{
    opts[args[i].TrimStart('-')] = args[i + 1];
}

if (mode is "tunnel" or "control")
{
    if (!opts.TryGetValue("nym-client", out string? clientUri) || !opts.TryGetValue("nym-api", out string? api))
    {
        Console.Error.WriteLine("usage: smolmix-leak-probe tunnel|control --nym-client URI --nym-api URI");
        return 2;
    }

    using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
    if (mode == "tunnel")
    {
        await using Tunnel discovered = await Tunnel.ConnectAsync(new TunnelOptions { NymClient = new Uri(clientUri), NymApi = new Uri(api) }, bound.Token);
        Console.WriteLine($"ok tunnel: v{discovered.ProtocolVersion} through a discovered exit");
        return 0;
    }

    try
    {
        using var plain = new HttpClient();
        await plain.GetStringAsync(new Uri(new Uri(api), "v2/nym-nodes/described?page=0"), bound.Token);
        Console.WriteLine("control http: direct");
    }
    catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException)
    {
        Console.WriteLine($"control http: failed ({ex.GetType().Name})");
    }

    try
    {
        using var plainSocket = new ClientWebSocket();
        await plainSocket.ConnectAsync(new Uri(clientUri), bound.Token);
        Console.WriteLine("control websocket: direct");
    }
    catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException)
    {
        Console.WriteLine($"control websocket: failed ({ex.GetType().Name})");
    }

    return 0;
}

if (!opts.TryGetValue("nym-client", out string? nymClient) || !opts.TryGetValue("exit", out string? exit) || !opts.TryGetValue("ca", out string? caPath) || !opts.TryGetValue("base", out string? baseText))
{
    Console.Error.WriteLine("usage: smolmix-leak-probe --nym-client URI --exit ADDRESS --ca CA.pem --base https://name:port/");
    return 2;
}

using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
var baseUri = new Uri(baseText);
await using Tunnel tunnel = await Tunnel.ConnectAsync(new TunnelOptions { NymClient = new Uri(nymClient), Exits = [exit] }, cts.Token);
var ca = X509CertificateLoader.LoadCertificateFromFile(caPath);
using SmolmixHandler handler = SmolmixHandler.Create(tunnel, new SmolmixHandlerOptions { Tls = new TunnelTlsOptions { TrustedRoots = new X509Certificate2Collection(ca) } });
using var client = new HttpClient(handler, disposeHandler: false);

string h1 = await client.GetStringAsync(new Uri(baseUri, "hello"), cts.Token);
Console.WriteLine($"ok https/1.1: {h1}");

using (var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseUri, "hello")) { Version = HttpVersion.Version20 })
using (HttpResponseMessage response = await client.SendAsync(request, cts.Token))
{
    Console.WriteLine($"ok https/{response.Version}: {await response.Content.ReadAsStringAsync(cts.Token)}");
}

using (var ws = new ClientWebSocket())
{
    var wsUri = new UriBuilder(baseUri) { Scheme = "wss", Path = "/ws" }.Uri;
    await ws.ConnectAsync(wsUri, new HttpMessageInvoker(handler, disposeHandler: false), cts.Token);
    byte[] message = Encoding.UTF8.GetBytes("probe");
    await ws.SendAsync(message, WebSocketMessageType.Text, true, cts.Token);
    var buffer = new byte[64];
    WebSocketReceiveResult r = await ws.ReceiveAsync(buffer, cts.Token);
    await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token);
    Console.WriteLine($"ok websocket: {Encoding.UTF8.GetString(buffer, 0, r.Count)}");
}

using (GrpcChannel channel = GrpcChannel.ForAddress(baseUri, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = false }))
{
    EchoReply reply = await new Echo.EchoClient(channel).UnaryAsync(new EchoRequest { Text = "probe" }, cancellationToken: cts.Token);
    Console.WriteLine($"ok grpc: {reply.Text} {reply.Protocol}");
}

return 0;
