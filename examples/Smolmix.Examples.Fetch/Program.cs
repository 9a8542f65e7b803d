using System.Net;
using System.Security.Cryptography;
using System.Text;
using Smolmix;

// smolmix-fetch: downloads one HTTP/1.1 resource through a Smolmix tunnel, using only the public
// Tunnel API. Usage: smolmix-fetch --nym-client ws://127.0.0.1:1977 --exit <nym address> --to 10.1.2.3:80
//                                  [--path /file] [--out file]
// Prints "sha256=<hex>" and "bytes=<n>" for the body.
var opts = new Dictionary<string, string>();
for (int i = 0; i + 1 < args.Length; i += 2)
{
    opts[args[i].TrimStart('-')] = args[i + 1];
}
if (!opts.TryGetValue("nym-client", out var nymClient) || !opts.TryGetValue("exit", out var exit) || !opts.TryGetValue("to", out var to))
{
    Console.Error.WriteLine("usage: smolmix-fetch --nym-client URI --exit ADDRESS --to IP:PORT [--path /x] [--out FILE]");
    return 2;
}
string path = opts.GetValueOrDefault("path", "/");
using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
await using var tunnel = await Tunnel.ConnectAsync(new TunnelOptions { NymClient = new Uri(nymClient), Exits = [exit] }, cts.Token);
Console.Error.WriteLine($"tunnel ready: {tunnel.IPv4Address}, IPR v{tunnel.ProtocolVersion}, MTU {tunnel.Mtu}");
var target = IPEndPoint.Parse(to);
await using var tcp = await tunnel.ConnectTcpAsync(target, cts.Token);
await tcp.WriteAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: {target}\r\nConnection: close\r\n\r\n"), cts.Token);
var response = new MemoryStream();
await tcp.CopyToAsync(response, cts.Token);
byte[] all = response.ToArray();
int headerEnd = all.AsSpan().IndexOf("\r\n\r\n"u8);
if (headerEnd < 0 || !Encoding.ASCII.GetString(all, 0, Math.Min(12, all.Length)).Contains(" 200", StringComparison.Ordinal))
{
    Console.Error.WriteLine("bad response: " + Encoding.ASCII.GetString(all, 0, Math.Min(200, all.Length)));
    return 1;
}
var body = all.AsMemory(headerEnd + 4);
if (opts.TryGetValue("out", out var outFile))
{
    await File.WriteAllBytesAsync(outFile, body.ToArray(), cts.Token);
}
Console.WriteLine($"bytes={body.Length}");
Console.WriteLine($"sha256={Convert.ToHexStringLower(SHA256.HashData(body.Span))}");
return 0;
