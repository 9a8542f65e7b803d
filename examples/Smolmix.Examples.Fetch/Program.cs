using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Smolmix;
using Smolmix.CommandLine;
using Smolmix.Dns;

// smolmix-fetch: downloads one HTTP/1.1 resource through a Smolmix tunnel, using only the public
// Tunnel API (and, for a host name in --to, the tunnel's resolver). Prints "sha256=<hex>" and "bytes=<n>"
// for the body. Errors are one line on standard error: exit 2 for usage, 1 for a failure, 130 for Ctrl+C.
const string Name = "smolmix-fetch";
const string Usage = """
    usage: smolmix-fetch --nym-client URI --exit ADDRESS --to HOST:PORT [options]
      --nym-client URI     the nym-client's WebSocket, e.g. ws://127.0.0.1:1977
      --exit ADDRESS       the IPR exit's Nym address
      --to HOST:PORT       the HTTP server: IP:PORT, or NAME:PORT resolved through the tunnel
      --path /PATH         the resource (default /)
      --out FILE           also write the body to FILE
      --timeout SECONDS    the bound on the whole run (default 300)
      -v, --verbose        on failure, print the whole exception after the one line
      -h, --help           this text
    exit codes: 0 ok, 1 failed (one line says why), 2 usage error, 130 interrupted
    """;

return await CommandRunner.RunAsync(Name, args, async interrupt =>
{
    Uri? nymClient = null;
    string? exit = null;
    string? to = null;
    string path = "/";
    string? outFile = null;
    TimeSpan timeout = TimeSpan.FromMinutes(5);
    var reader = new ArgReader(args);
    while (reader.Next(out string? arg))
    {
        switch (arg)
        {
            case "--nym-client": nymClient = reader.NymClient(arg); break;
            case "--exit": exit = reader.ExitAddress(arg); break;
            case "--to": to = reader.Value(arg); break;
            case "--path":
                path = reader.Value(arg);
                if (!path.StartsWith('/') || path.Any(char.IsWhiteSpace))
                {
                    throw ArgReader.Bad(arg, "a path starting with / and without spaces", path);
                }

                break;
            case "--out": outFile = reader.Value(arg); break;
            case "--timeout": timeout = reader.Seconds(arg); break;
            case "-v" or "--verbose": break; // the runner prints the whole exception on failure
            case "-h" or "--help":
                Console.WriteLine(Usage);
                return ExitCode.Ok;
            default: throw reader.Unknown(arg);
        }
    }

    if (nymClient is null || exit is null || to is null)
    {
        throw new UsageException($"{(nymClient is null ? "--nym-client" : exit is null ? "--exit" : "--to")} is required");
    }

    (string host, int port) = SplitHostPort(to);
    using var cts = CancellationTokenSource.CreateLinkedTokenSource(interrupt);
    cts.CancelAfter(timeout);
    CommandRunner.Step($"connecting the tunnel through {nymClient}");
    await using var tunnel = await Tunnel.ConnectAsync(new TunnelOptions { NymClient = nymClient, Exits = [exit], ConnectTimeout = timeout }, cts.Token);
    Console.Error.WriteLine($"tunnel ready: {tunnel.IPv4Address}, IPR v{tunnel.ProtocolVersion}, MTU {tunnel.Mtu}");

    IPEndPoint target;
    if (IPAddress.TryParse(host, out IPAddress? ip))
    {
        target = new IPEndPoint(ip, port);
    }
    else
    {
        // A name: resolved through the tunnel, never by the system resolver.
        CommandRunner.Step($"resolving {host} through the tunnel");
        await using var resolver = new TunnelResolver(tunnel);
        IPAddress[] addresses = await resolver.GetHostAddressesAsync(host, cts.Token);
        target = new IPEndPoint(addresses.FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) ?? addresses[0], port);
        Console.Error.WriteLine($"{host} is {target.Address}");
    }

    CommandRunner.Step($"fetching http://{to}{path}");
    await using var tcp = await tunnel.ConnectTcpAsync(target, cts.Token);
    await tcp.WriteAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: {(ip is null ? host : target.ToString())}\r\nConnection: close\r\n\r\n"), cts.Token);
    var response = new MemoryStream();
    await tcp.CopyToAsync(response, cts.Token);
    byte[] all = response.ToArray();
    int headerEnd = all.AsSpan().IndexOf("\r\n\r\n"u8);
    if (headerEnd < 0 || !Encoding.ASCII.GetString(all, 0, Math.Min(12, all.Length)).Contains(" 200", StringComparison.Ordinal))
    {
        string first = Encoding.ASCII.GetString(all, 0, Math.Min(200, all.Length)).Split('\n')[0].Trim();
        Console.Error.WriteLine($"{Name}: bad response from {target}: {(first.Length == 0 ? "(empty)" : first)}");
        return ExitCode.Failure;
    }

    var body = all.AsMemory(headerEnd + 4);
    if (outFile is not null)
    {
        await File.WriteAllBytesAsync(outFile, body.ToArray(), cts.Token);
    }

    Console.WriteLine($"bytes={body.Length}");
    Console.WriteLine($"sha256={Convert.ToHexStringLower(SHA256.HashData(body.Span))}");
    return ExitCode.Ok;
});

static (string Host, int Port) SplitHostPort(string text)
{
    if (IPEndPoint.TryParse(text, out IPEndPoint? endPoint) && endPoint.Port != 0 && (text.Contains('.', StringComparison.Ordinal) || text.StartsWith('[')))
    {
        return (endPoint.Address.ToString(), endPoint.Port);
    }

    int colon = text.LastIndexOf(':');
    if (colon > 0
        && Uri.CheckHostName(text[..colon]) == UriHostNameType.Dns
        && int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int port)
        && port is > 0 and <= 65535)
    {
        return (text[..colon], port);
    }

    throw ArgReader.Bad("--to", "IP:PORT or NAME:PORT (e.g. 10.1.2.3:80, example.com:80)", text);
}
