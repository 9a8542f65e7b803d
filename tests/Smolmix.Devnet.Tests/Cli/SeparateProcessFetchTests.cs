using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Smolmix.Devnet.Tests.Cli;

/// <summary>
/// The issue's acceptance scenario, with real processes: `smolmix devnet` runs in one process; a separate
/// client process (examples/Smolmix.Examples.Fetch, which uses only <c>Tunnel.ConnectAsync</c>) downloads a
/// file from a local HTTP server through it, byte-exact; strace shows that the client's only network socket
/// is the WebSocket to the Devnet.
/// </summary>
public sealed partial class SeparateProcessFetchTests
{
    private readonly ITestOutputHelper _out;

    public SeparateProcessFetchTests(ITestOutputHelper output) => _out = output;

    [SkippableFact]
    public async Task ClientProcess_DownloadsByteExact_AndOpensNoSocketButTheWebSocket()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "strace is Linux-only");
        Skip.If(Which("strace") is null, "strace is not installed (scripts/setup-test-env.sh installs it as root)");
        string? cli = Built("Smolmix.Cli", "smolmix.dll");
        string? fetch = Built(Path.Combine("examples", "Smolmix.Examples.Fetch"), "smolmix-fetch.dll");
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
        using Process devnet = Process.Start(new ProcessStartInfo("dotnet", $"\"{cli}\" devnet --port 0 --preset nym")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        string trace = Path.Combine(Path.GetTempPath(), $"smx-strace-{Guid.NewGuid():N}.txt");
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
            var psi = new ProcessStartInfo("strace")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string a in new[] { "-f", "-qq", "-e", "trace=socket,connect,bind,listen,sendto,sendmsg,sendmmsg", "-o", trace,
                "dotnet", fetch!, "--nym-client", nymClient.ToString(), "--exit", lines["exit"], "--to", http.LocalEndPoint!.ToString()!, "--path", "/file" })
            {
                psi.ArgumentList.Add(a);
            }
            psi.Environment["DOTNET_EnableDiagnostics"] = "0"; // no diagnostics IPC socket
            using Process client = Process.Start(psi)!;
            var stdout = client.StandardOutput.ReadToEndAsync(cts.Token);
            var stderr = client.StandardError.ReadToEndAsync(cts.Token);
            await client.WaitForExitAsync(cts.Token);
            _out.WriteLine(await stderr);
            string output = await stdout;
            _out.WriteLine(output);
            Assert.Equal(0, client.ExitCode);
            await serve;
            Assert.Contains($"sha256={Convert.ToHexStringLower(SHA256.HashData(file))}", output);
            Assert.Contains($"bytes={file.Length}", output);

            CheckTrace(File.ReadAllLines(trace), nymClient.Port);
        }
        finally
        {
            devnet.StandardInput.Close();
            if (!devnet.WaitForExit(10_000))
            {
                devnet.Kill();
            }
            File.Delete(trace);
        }
    }

    // strace -f prints thread ids; descriptors belong to the (single) client process, so key by descriptor.
    private const string ClientProcess = "client";

    private void CheckTrace(string[] lines, int devnetPort)
    {
        var kinds = new Dictionary<(string Pid, int Fd), string>(); // socket kind by (pid, fd)
        var toDevnet = new HashSet<(string, int)>();
        int webSockets = 0, probes = 0;
        var unfinished = new Dictionary<string, (string Call, string Args)>();
        foreach (string raw in lines)
        {
            string pid, call, args, result;
            Match m = SyscallLine().Match(raw);
            if (m.Success)
            {
                (pid, call, args, result) = (m.Groups["pid"].Value, m.Groups["call"].Value, m.Groups["args"].Value, m.Groups["ret"].Value);
            }
            else if ((m = UnfinishedLine().Match(raw)).Success)
            {
                // strace -f splits a call another thread interrupted: "<unfinished ...>" now, "resumed" later.
                unfinished[m.Groups["pid"].Value] = (m.Groups["call"].Value, m.Groups["args"].Value);
                continue;
            }
            else if ((m = ResumedLine().Match(raw)).Success && unfinished.Remove(m.Groups["pid"].Value, out var begun))
            {
                (pid, call, args, result) = (m.Groups["pid"].Value, begun.Call, begun.Args + m.Groups["rest"].Value, m.Groups["ret"].Value);
            }
            else
            {
                continue;
            }
            switch (call)
            {
                case "socket" when int.TryParse(result, out int fd):
                    kinds[(ClientProcess, fd)] = args;
                    toDevnet.Remove((ClientProcess, fd));
                    if (!args.Contains("SOCK_STREAM", StringComparison.Ordinal))
                    {
                        probes++;
                    }
                    break;
                case "connect":
                    int cfd = int.Parse(args[..args.IndexOf(',', StringComparison.Ordinal)]);
                    bool loopback = args.Contains("\"127.0.0.1\"", StringComparison.Ordinal) || args.Contains("\"::ffff:127.0.0.1\"", StringComparison.Ordinal) || args.Contains("\"::1\"", StringComparison.Ordinal);
                    Assert.True(loopback && args.Contains($"htons({devnetPort})", StringComparison.Ordinal), $"the client connected somewhere other than the Devnet: {raw}");
                    toDevnet.Add((ClientProcess, cfd));
                    webSockets++;
                    break;
                case "bind":
                case "listen":
                    Assert.Fail($"the client bound or listened on a socket: {raw}");
                    break;
                default: // sendto / sendmsg / sendmmsg
                    int sfd = int.Parse(args[..args.IndexOf(',', StringComparison.Ordinal)]);
                    Assert.True(toDevnet.Contains((ClientProcess, sfd)), $"the client sent on a socket that is not the Devnet WebSocket: {raw}");
                    break;
            }
        }
        foreach (var (key, kind) in kinds)
        {
            if (kind.Contains("SOCK_STREAM", StringComparison.Ordinal) && (kind.Contains("AF_INET", StringComparison.Ordinal)))
            {
                Assert.True(toDevnet.Contains(key), $"a TCP socket that never connected to the Devnet: {kind}");
            }
        }
        _out.WriteLine($"strace: {webSockets} connect(s), all to 127.0.0.1:{devnetPort}; {probes} datagram socket(s) created by the runtime's " +
            "address-family probes and never connected, bound or written to; no other socket activity");
        Assert.Equal(1, webSockets);
    }

    [GeneratedRegex(@"^(?<pid>\d+)\s+(?<call>socket|connect|bind|listen|sendto|sendmsg|sendmmsg)\((?<args>.*)\)\s+=\s+(?<ret>-?\d+)")]
    private static partial Regex SyscallLine();

    [GeneratedRegex(@"^(?<pid>\d+)\s+(?<call>socket|connect|bind|listen|sendto|sendmsg|sendmmsg)\((?<args>.*?)\s*<unfinished \.\.\.>")]
    private static partial Regex UnfinishedLine();

    [GeneratedRegex(@"^(?<pid>\d+)\s+<\.\.\. (?<call>\w+) resumed>(?<rest>.*)\)\s+=\s+(?<ret>-?\d+)")]
    private static partial Regex ResumedLine();

    private static string? Which(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);

    private static string? Built(string project, string dll)
    {
        string configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent?.Name ?? "Release";
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Smolmix.sln")))
            {
                string path = Path.Combine(dir.FullName, project, "bin", configuration, "net10.0", dll);
                return File.Exists(path) ? path : null;
            }
        }
        return null;
    }
}
