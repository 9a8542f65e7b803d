using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Smolmix.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Smolmix.Devnet.Tests.Cli;

/// <summary>
/// The acceptance scenario, with real processes: `smolmix devnet` runs in one process; a separate
/// client process (examples/Smolmix.Examples.Fetch, which uses only <c>Tunnel.ConnectAsync</c>) downloads a
/// file from a local HTTP server through it, byte-exact; strace shows that the client's only network socket
/// is the WebSocket to the Devnet.
/// </summary>
public sealed class SeparateProcessFetchTests
{
    private readonly ITestOutputHelper _out;

    public SeparateProcessFetchTests(ITestOutputHelper output) => _out = output;

    [SkippableFact]
    public async Task ClientProcess_DownloadsByteExact_AndOpensNoSocketButTheWebSocket()
    {
        Skip.If(ClientProcessTrace.WhyUnavailable is not null, ClientProcessTrace.WhyUnavailable);
        string? cli = ClientProcessTrace.Built("Smolmix.Cli", "smolmix.dll");
        string? fetch = ClientProcessTrace.Built(Path.Combine("examples", "Smolmix.Examples.Fetch"), "smolmix-fetch.dll");
        Skip.If(cli is null || fetch is null, "the smolmix CLI or the fetch example is not built next to the tests");
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));

        // A local HTTP server with one 512 KiB file.
        byte[] file = RandomNumberGenerator.GetBytes(512 * 1024);
        using var http = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        http.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        http.Listen();
        var serve = Task.Run(async () =>
        {
            using Socket c = await http.AcceptAsync(cts.Token);
            var req = new byte[4096];
            int n = await c.ReceiveAsync(req, SocketFlags.None, cts.Token);
            Assert.StartsWith("GET /file ", Encoding.ASCII.GetString(req, 0, n));
            await c.SendAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {file.Length}\r\nConnection: close\r\n\r\n"), SocketFlags.None, cts.Token);
            await c.SendAsync(file, SocketFlags.None, cts.Token);
            c.Shutdown(SocketShutdown.Send);
        });

        // The Devnet in its own process.
        using Process devnet = Process.Start(new ProcessStartInfo("dotnet", $"\"{cli}\" devnet --port 0 --preset nym --stop-on-stdin-eof")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        try
        {
            var lines = new Dictionary<string, string>();
            while (!lines.ContainsKey("mtu"))
            {
                string? line = await devnet.StandardOutput.ReadLineAsync(cts.Token);
                Assert.NotNull(line);
                string[] pair = line.Split('=', 2);
                lines[pair[0]] = pair[1];
            }
            var nymClient = new Uri(lines["nym_client"]);

            // The client in another process, under strace.
            ClientProcessTrace client = await ClientProcessTrace.RunAsync(
                fetch!,
                ["--nym-client", nymClient.ToString(), "--exit", lines["exit"], "--to", http.LocalEndPoint!.ToString()!, "--path", "/file"],
                nymClient.Port,
                null,
                cts.Token);
            _out.WriteLine(client.Stderr);
            _out.WriteLine(client.Stdout);
            Assert.Equal(0, client.ExitCode);
            await serve;
            Assert.Contains($"sha256={Convert.ToHexStringLower(SHA256.HashData(file))}", client.Stdout);
            Assert.Contains($"bytes={file.Length}", client.Stdout);
            client.AssertOnlyTheWebSocket();
            _out.WriteLine(client.Summary);
        }
        finally
        {
            devnet.StandardInput.Close();
            if (!devnet.WaitForExit(10_000))
            {
                devnet.Kill();
            }
        }
    }
}
