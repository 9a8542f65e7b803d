using System.Diagnostics;
using Smolmix.Tests.Infrastructure;

namespace Smolmix.Devnet.Tests.Cli;

/// <summary>A built program of the solution (the CLI, an example, the benchmarks), run as `dotnet X.dll args` with a bounded wait.</summary>
internal static class BuiltProgram
{
    /// <summary>Where each program's project is, by the name it prints in its error lines.</summary>
    private static readonly Dictionary<string, (string Project, string Dll)> Programs = new(StringComparer.Ordinal)
    {
        ["smolmix"] = ("Smolmix.Cli", "smolmix.dll"),
        ["smolmix-fetch"] = (Path.Combine("examples", "Smolmix.Examples.Fetch"), "smolmix-fetch.dll"),
        ["smolmix-resolve"] = (Path.Combine("examples", "Smolmix.Examples.Resolve"), "smolmix-resolve.dll"),
        ["smolmix-https"] = (Path.Combine("examples", "Smolmix.Examples.Https"), "smolmix-https.dll"),
        ["smolmix-httpclientfactory"] = (Path.Combine("examples", "Smolmix.Examples.HttpClientFactory"), "smolmix-httpclientfactory.dll"),
        ["smolmix-websocket"] = (Path.Combine("examples", "Smolmix.Examples.WebSocket"), "smolmix-websocket.dll"),
        ["smolmix-grpc"] = (Path.Combine("examples", "Smolmix.Examples.Grpc"), "smolmix-grpc.dll"),
        ["Smolmix.Benchmarks"] = (Path.Combine("benchmarks", "Smolmix.Benchmarks"), "Smolmix.Benchmarks.dll"),
    };

    /// <summary>The built dll of <paramref name="program"/>, or null when it is not built next to the tests.</summary>
    public static string? Find(string program) =>
        ClientProcessTrace.Built(Programs[program].Project, Programs[program].Dll);

    /// <summary>Runs the program with stdin closed; kills it (and its children) if it outlives <paramref name="limit"/>.</summary>
    public static async Task<Result> RunAsync(string dll, IEnumerable<string> args, TimeSpan limit)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(limit);
        var clock = Stopwatch.StartNew();
        try
        {
            Task<string> stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
            Task<string> stderr = process.StandardError.ReadToEndAsync(cts.Token);
            await process.WaitForExitAsync(cts.Token);
            return new Result(process.ExitCode, await stdout, await stderr, clock.Elapsed);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"dotnet {Path.GetFileName(dll)} {string.Join(' ', args)} still ran after {limit.TotalSeconds} s");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5_000);
            }
        }
    }

    /// <summary>What a run left behind.</summary>
    internal sealed record Result(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)
    {
        public string[] ErrorLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }
}
