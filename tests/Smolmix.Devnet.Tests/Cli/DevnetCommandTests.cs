using System.Diagnostics;
using Smolmix.Devnet.Tests.Support;
using Smolmix.Nym;

namespace Smolmix.Devnet.Tests.Cli;

/// <summary>`smolmix devnet` as a process: key=value lines on stdout, a working endpoint, exit when stdin closes (when asked), SIGTERM otherwise.</summary>
public sealed class DevnetCommandTests
{
    [SkippableFact]
    public async Task PrintsTheEndpointAndExit_Serves_AndStopsWhenStdinCloses_WhenAsked()
    {
        string? cli = FindCli();
        Skip.If(cli is null, "the smolmix CLI is not built next to the tests");
        var start = new ProcessStartInfo("dotnet", $"\"{cli}\" devnet --port 0 --preset instant --seed 5 --stop-on-stdin-eof")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using Process process = Process.Start(start)!;
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var lines = new Dictionary<string, string>();
            while (!lines.ContainsKey("mtu"))
            {
                string? line = await process.StandardOutput.ReadLineAsync(cts.Token);
                Assert.NotNull(line);
                string[] pair = line.Split('=', 2);
                lines[pair[0]] = pair[1];
            }

            Assert.Matches(@"^ws://127\.0\.0\.1:\d+$", lines["nym_client"]);
            Assert.True(NymAddress.TryParse(lines["exit"], out NymAddress? exit));
            Assert.Equal("5", lines["seed"]);
            Assert.Equal("instant", lines["preset"]);

            await using NymClientConnection connection = await NymClientConnection.ConnectAsync(new NymClientConnectionOptions { Endpoint = new Uri(lines["nym_client"]) });
            await connection.SendAnonymousAsync(exit, IprProbe.Framed(1, 0, new IprPingRequest(IprVersion.V9, 77, Hex.Timestamp).ToArray()), 10);
            NymClientResponse.Received pong = await connection.Received.ReadAsync(cts.Token);
            Assert.True(IprMessageReader.TryReadResponse(pong.Message, out IprEnvelope<IprResponse> envelope));
            Assert.Equal(77UL, Assert.IsType<IprPongResponse>(envelope.Message).Id);

            process.StandardInput.Close();
            await process.WaitForExitAsync(cts.Token);
            Assert.Equal(0, process.ExitCode);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }

    [SkippableFact]
    public async Task Host_PrintsTheMapping_AndTheResolvers()
    {
        string? cli = FindCli();
        Skip.If(cli is null, "the smolmix CLI is not built next to the tests");
        var start = new ProcessStartInfo("dotnet", $"\"{cli}\" devnet --port 0 --preset instant --stop-on-stdin-eof --host demo.smolmix.test=127.0.0.1:8443 --host A.test=127.0.0.1:80")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using Process process = Process.Start(start)!;
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var hosts = new List<string>();
            string? dns = null;
            while (hosts.Count < 2)
            {
                string? line = await process.StandardOutput.ReadLineAsync(cts.Token);
                Assert.NotNull(line);
                if (line.StartsWith("dns=", StringComparison.Ordinal))
                {
                    dns = line;
                }
                else if (line.StartsWith("host=", StringComparison.Ordinal))
                {
                    hosts.Add(line);
                }
            }

            Assert.Equal("dns=9.9.9.9:53,1.1.1.1:53", dns);
            Assert.Equal(["host=a.test=198.18.0.1,2001:2::1 -> 127.0.0.1:80", "host=demo.smolmix.test=198.18.0.2,2001:2::2 -> 127.0.0.1:8443"], hosts);
            process.StandardInput.Close();
            await process.WaitForExitAsync(cts.Token);
            Assert.Equal(0, process.ExitCode);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }

    [SkippableFact]
    public async Task StdinClosed_KeepsRunning_UntilSigterm()
    {
        string? cli = FindCli();
        Skip.If(cli is null, "the smolmix CLI is not built next to the tests");
        using Process process = Process.Start(new ProcessStartInfo("dotnet", $"\"{cli}\" devnet --port 0 --preset instant")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            Task<string> stderr = process.StandardError.ReadToEndAsync(cts.Token);
            string? line;
            while ((line = await process.StandardOutput.ReadLineAsync(cts.Token)) is not null && !line.StartsWith("mtu=", StringComparison.Ordinal))
            {
            }

            Assert.NotNull(line);
            process.StandardInput.Close(); // as in a script's background job: stdin at EOF

            // Still serving after stdin closed (the old behaviour exited within milliseconds).
            Assert.False(process.WaitForExit(2_000), "smolmix devnet exited when standard input closed");
            using (Process kill = Process.Start("kill", $"-TERM {process.Id}"))
            {
                await kill.WaitForExitAsync(cts.Token);
            }

            await process.WaitForExitAsync(cts.Token);
            Assert.Equal(0, process.ExitCode);
            Assert.Contains("stopping (signal)", await stderr, StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }

    [SkippableTheory]
    [InlineData("--host demo.test", "--host wants NAME=LOCAL")]
    [InlineData("--host demo.test=localhost:80", "--host wants NAME=LOCAL")]
    [InlineData("--host demo.test=127.0.0.1", "--host wants NAME=LOCAL")]
    [InlineData("--host bad!name=127.0.0.1:80", "--host: 'bad!name' contains '!'")]
    [InlineData("--host demo.test=192.0.2.1:80", "--host: Hosts: 'demo.test' maps to 192.0.2.1:80, which is not loopback")]
    [InlineData("--egress kernel --host demo.test=127.0.0.1:80", "--host: Hosts needs the userspace NAT")]
    public async Task BadHost_FailsWithAnErrorNamingTheOption(string args, string expected)
    {
        string? cli = FindCli();
        Skip.If(cli is null, "the smolmix CLI is not built next to the tests");
        var start = new ProcessStartInfo("dotnet", $"\"{cli}\" devnet --port 0 {args}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using Process process = Process.Start(start)!;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string error = await process.StandardError.ReadToEndAsync(cts.Token);
        await process.WaitForExitAsync(cts.Token);
        Assert.Equal(2, process.ExitCode);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    private static string? FindCli()
    {
        string? configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent?.Name; // bin/<Configuration>/net10.0
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Smolmix.sln")))
            {
                string path = Path.Combine(dir.FullName, "Smolmix.Cli", "bin", configuration ?? "Release", "net10.0", "smolmix.dll");
                return File.Exists(path) ? path : null;
            }
        }

        return null;
    }
}
