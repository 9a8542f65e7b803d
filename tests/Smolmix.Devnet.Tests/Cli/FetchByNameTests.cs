using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Xunit.Abstractions;

namespace Smolmix.Devnet.Tests.Cli;

/// <summary>
/// The Fetch example with a host name in --to (issue 11: it used to fail with a FormatException after the tunnel
/// was up): the name is resolved through the tunnel by the Devnet's resolver (`devnet --host`), then fetched.
/// </summary>
public sealed class FetchByNameTests
{
    private readonly ITestOutputHelper _out;

    public FetchByNameTests(ITestOutputHelper output) => _out = output;

    [SkippableFact]
    public async Task HostNameInTo_IsResolvedThroughTheTunnel_AndFetched()
    {
        string? cli = BuiltProgram.Find("smolmix");
        string? fetch = BuiltProgram.Find("smolmix-fetch");
        Skip.If(cli is null || fetch is null, "the smolmix CLI or the fetch example is not built next to the tests");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));

        byte[] body = Encoding.ASCII.GetBytes("hello by name\n");
        using var http = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        http.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        http.Listen();
        int port = ((IPEndPoint)http.LocalEndPoint!).Port;
        var serve = Task.Run(async () =>
        {
            using Socket c = await http.AcceptAsync(cts.Token);
            var req = new byte[4096];
            int n = await c.ReceiveAsync(req, SocketFlags.None, cts.Token);
            Assert.Contains($"Host: web.fetch.test\r\n", Encoding.ASCII.GetString(req, 0, n), StringComparison.Ordinal);
            await c.SendAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n"), SocketFlags.None, cts.Token);
            await c.SendAsync(body, SocketFlags.None, cts.Token);
            c.Shutdown(SocketShutdown.Send);
        });

        using Process devnet = Process.Start(new ProcessStartInfo("dotnet", $"\"{cli}\" devnet --port 0 --preset instant --host web.fetch.test=127.0.0.1:{port}")
        {
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

            BuiltProgram.Result run = await BuiltProgram.RunAsync(
                fetch!,
                ["--nym-client", lines["nym_client"], "--exit", lines["exit"], "--to", $"web.fetch.test:{port}", "--path", "/", "--timeout", "60"],
                TimeSpan.FromSeconds(75));
            _out.WriteLine(run.Stderr);
            Assert.Equal(0, run.ExitCode);
            Assert.Contains("web.fetch.test is 198.18.", run.Stderr, StringComparison.Ordinal);
            Assert.Contains($"bytes={body.Length}", run.Stdout, StringComparison.Ordinal);
            await serve.WaitAsync(cts.Token);
        }
        finally
        {
            if (!devnet.HasExited)
            {
                devnet.Kill();
                devnet.WaitForExit(5_000);
            }
        }
    }
}
