using System.Net;
using System.Net.Sockets;
using Xunit.Abstractions;

namespace Smolmix.Devnet.Tests.Cli;

/// <summary>
/// Every CLI command, example and benchmark command, given the bad inputs a new user hit (issue 11): an unknown
/// option, a bad number, a missing value, a bad URI, a bad exit address, an unreachable nym-client, a port in use.
/// Each must end with a non-zero exit code and one clear line on standard error naming the problem; never a
/// stack trace ("   at ") or "Unhandled exception".
/// </summary>
public sealed class BadInputTests
{
    /// <summary>A well-formed Nym address (a Devnet exit's) that nothing behind ws://127.0.0.1:1 will ever answer for.</summary>
    private const string Exit = "DpxrgbPX8erSyemz6LXAyeZck7CeVLAF7ynoBeLWuWR7.GmtuX8yodFj2xk5Td27vGfgqZnMreAY4RDbHRLL6esfi@CYtaHi6cVwbyGukv6Rfn2BPDVRg5LAYv8Dm4tQwxMj34";
    private const string Unreachable = "ws://127.0.0.1:1";
    private static readonly TimeSpan UsageLimit = TimeSpan.FromSeconds(60);

    private readonly ITestOutputHelper _out;

    public BadInputTests(ITestOutputHelper output) => _out = output;

    /// <summary>Program, arguments (separated by '|'), the fragment the one line must hold.</summary>
    public static TheoryData<string, string, string> UsageErrors()
    {
        var data = new TheoryData<string, string, string>
        {
            // smolmix (no command, an unknown command) and its commands.
            { "smolmix", "frob", "unknown command 'frob'" },
            { "smolmix", "demo|--bogus", "unknown option '--bogus'" },
            { "smolmix", "demo|lots", "KiB wants a whole number from 1 to 1048576, not 'lots'" },
            { "smolmix", "demo|--preset", "--preset needs a value" },
            { "smolmix", "demo|--timeout|soon", "--timeout wants a number of seconds" },
            { "smolmix", "devnet|--bogus", "unknown option '--bogus'" },
            { "smolmix", "devnet|--port|notanumber", "--port wants a whole number from 0 to 65535, not 'notanumber'" },
            { "smolmix", "devnet|--port|70000", "--port wants a whole number from 0 to 65535, not '70000'" },
            { "smolmix", "devnet|--port", "--port needs a value" },
            { "smolmix", "devnet|--preset|fast", "--preset wants instant, nym or harsh, not 'fast'" },
            { "smolmix", "devnet|--exit-policy|allow everything", "--exit-policy:" },
            { "smolmix", "get|--bogus", "unknown option '--bogus'" },
            { "smolmix", "get|--timeout|soon", "--timeout wants a number of seconds" },
            { "smolmix", "get|-o", "-o needs a value" },
            { "smolmix", "get|--nym-client|notauri|--exit|" + Exit + "|https://example.com/", "--nym-client wants a ws:// or wss:// URI, not 'notauri'" },
            { "smolmix", "get|--nym-client|" + Unreachable + "|--exit|not-an-address|https://example.com/", "--exit wants a Nym address" },
            { "Smolmix.Benchmarks", "frob", "unknown command 'frob'" },
            { "Smolmix.Benchmarks", "mixnet-path|--mib|x", "--mib wants a whole number from 1 to 4096, not 'x'" },
            { "Smolmix.Benchmarks", "mixnet-path|--loss|lots", "--loss wants comma-separated numbers" },
            { "Smolmix.Benchmarks", "mixnet-path|--mib", "--mib needs a value" },
            { "Smolmix.Benchmarks", "mixnet-path|--bogus|1", "unknown option '--bogus'" },
            { "Smolmix.Benchmarks", "compare-kernel|--rounds|x", "--rounds wants a whole number" },
            { "Smolmix.Benchmarks", "dns-lookups|--cold|x", "--cold wants a whole number from 1 to 10000, not 'x'" },
            { "Smolmix.Benchmarks", "http-requests|--repeat|x", "--repeat wants a whole number from 1 to 100, not 'x'" },
            { "Smolmix.Benchmarks", "http-requests|--preset", "--preset needs a value" },
        };

        // Every example: unknown option, bad number, missing value, bad URI, bad exit address.
        foreach (string example in Examples)
        {
            data.Add(example, "--bogus", "unknown option '--bogus'");
            data.Add(example, "--timeout|soon", "--timeout wants a number of seconds");
            data.Add(example, "--nym-client", "--nym-client needs a value");
            data.Add(example, "--nym-client|notauri", "--nym-client wants a ws:// or wss:// URI, not 'notauri'");
            data.Add(example, "--nym-client|" + Unreachable + "|--exit|not-an-address", "--exit wants a Nym address (CLIENT.ENCRYPTION@GATEWAY), not 'not-an-address'");
        }

        data.Add("smolmix-fetch", "--nym-client|" + Unreachable + "|--exit|" + Exit + "|--to|not a host", "--to wants IP:PORT or NAME:PORT");
        data.Add("smolmix-fetch", "--nym-client|" + Unreachable + "|--exit|" + Exit + "|--to|example.com:http", "--to wants IP:PORT or NAME:PORT");
        data.Add("smolmix-fetch", "--nym-client|" + Unreachable + "|--exit|" + Exit, "--to is required");
        data.Add("smolmix-https", "--nym-client|" + Unreachable + "|--exit|" + Exit + "|--url|ftp://example.com/", "--url wants a https:// or http:// URI, not 'ftp://example.com/'");
        data.Add("smolmix-httpclientfactory", "--url|example.com", "--url wants a https:// or http:// URI, not 'example.com'");
        data.Add("smolmix-websocket", "--url|https://example.com/", "--url wants a ws:// or wss:// URI, not 'https://example.com/'");
        data.Add("smolmix-grpc", "--count|many", "--count wants a whole number from 0 to 1000000, not 'many'");
        data.Add("smolmix-grpc", "--preset", "--preset needs a value");
        data.Add("smolmix-resolve", "--type|BOGUS", "--type wants a record type");
        data.Add("smolmix-resolve", "--server|nine", "--server wants IP or IP:PORT, not 'nine'");
        return data;
    }

    /// <summary>Program and arguments that reach a nym-client where nothing listens, each with a short bound of its own.</summary>
    /// <remarks>
    /// Until Core's tunnel fails fast with a typed reason when nothing listens at the nym-client URI (another change),
    /// the examples can only say "timed out while connecting the tunnel through ws://127.0.0.1:1"; `smolmix get`
    /// probes the nym-client itself and says "could not connect to the nym-client" at once (exit 7).
    /// </remarks>
    public static TheoryData<string, string, string> UnreachableNymClient() => new()
    {
        { "smolmix", $"get|--nym-client|{Unreachable}|--exit|{Exit}|--timeout|5|https://example.com/", "could not connect to the nym-client at ws://127.0.0.1:1" },
        { "smolmix-fetch", $"--nym-client|{Unreachable}|--exit|{Exit}|--to|example.com:80|--timeout|3", "while connecting the tunnel through ws://127.0.0.1:1" },
        { "smolmix-resolve", $"--nym-client|{Unreachable}|--exit|{Exit}|--timeout|3|example.com", "while connecting the tunnel through ws://127.0.0.1:1" },
        { "smolmix-https", $"--nym-client|{Unreachable}|--exit|{Exit}|--url|https://example.com/|--timeout|3", "while connecting the tunnel through ws://127.0.0.1:1" },
        { "smolmix-websocket", $"--nym-client|{Unreachable}|--exit|{Exit}|--url|wss://example.com/ws|--timeout|3", "while connecting the tunnel through ws://127.0.0.1:1" },
        { "smolmix-grpc", $"--nym-client|{Unreachable}|--exit|{Exit}|--url|https://example.com/|--timeout|3", "while connecting the tunnel through ws://127.0.0.1:1" },

        // The container connects the tunnel on first use, inside the first request: the worker's --timeout ends it.
        { "smolmix-httpclientfactory", $"--nym-client|{Unreachable}|--exit|{Exit}|--url|https://example.com/|--timeout|3", "request failed: timed out after 3 s" },
    };

    private static string[] Examples => ["smolmix-fetch", "smolmix-resolve", "smolmix-https", "smolmix-httpclientfactory", "smolmix-websocket", "smolmix-grpc"];

    [SkippableTheory]
    [MemberData(nameof(UsageErrors))]
    public async Task UsageError_Exits2_WithOneLineNamingIt(string program, string args, string expected)
    {
        BuiltProgram.Result run = await RunAsync(program, args, UsageLimit);

        Assert.Equal(2, run.ExitCode);
        string line = Assert.Single(run.ErrorLines);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.StartsWith(program, line, StringComparison.Ordinal);
        AssertNoStackTrace(run);
    }

    [SkippableTheory]
    [MemberData(nameof(UnreachableNymClient))]
    public async Task UnreachableNymClient_FailsWithinItsTimeout_WithOneLine(string program, string args, string expected)
    {
        // The bound each program is given (--timeout 3 or 5) plus start-up; the tunnel's own connect would retry for
        // minutes against a dead nym-client, which --timeout (and ConnectTimeout) cut short.
        BuiltProgram.Result run = await RunAsync(program, args, TimeSpan.FromSeconds(60));

        Assert.NotEqual(0, run.ExitCode);
        Assert.NotEqual(2, run.ExitCode);
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(30), $"took {run.Elapsed.TotalSeconds:0.0} s for a bound of 3-5 s");
        string line = Assert.Single(run.ErrorLines, l => l.Contains(expected, StringComparison.Ordinal));
        Assert.StartsWith(program, line, StringComparison.Ordinal);
        AssertNoStackTrace(run);
    }

    [SkippableFact]
    public async Task Devnet_OnAPortInUse_NamesThePort()
    {
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        holder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        holder.Listen();
        int port = ((IPEndPoint)holder.LocalEndPoint!).Port;

        BuiltProgram.Result run = await RunAsync("smolmix", $"devnet|--preset|instant|--port|{port}", UsageLimit);

        Assert.Equal(1, run.ExitCode);
        string line = Assert.Single(run.ErrorLines);
        Assert.Contains($"port {port} on 127.0.0.1 is already in use", line, StringComparison.Ordinal);
        AssertNoStackTrace(run);
    }

    [SkippableTheory]
    [InlineData("smolmix", "--help")]
    [InlineData("smolmix", "demo|--help")]
    [InlineData("smolmix", "devnet|--help")]
    [InlineData("smolmix", "get|--help")]
    [InlineData("smolmix-fetch", "--help")]
    [InlineData("smolmix-resolve", "--help")]
    [InlineData("smolmix-https", "--help")]
    [InlineData("smolmix-httpclientfactory", "--help")]
    [InlineData("smolmix-websocket", "--help")]
    [InlineData("smolmix-grpc", "--help")]
    [InlineData("Smolmix.Benchmarks", "--help")]
    [InlineData("Smolmix.Benchmarks", "mixnet-path|--help")]
    [InlineData("Smolmix.Benchmarks", "compare-kernel|--help")]
    [InlineData("Smolmix.Benchmarks", "dns-lookups|--help")]
    [InlineData("Smolmix.Benchmarks", "http-requests|--help")]
    public async Task Help_Exits0_WithUsageOnStdout(string program, string args)
    {
        BuiltProgram.Result run = await RunAsync(program, args, UsageLimit);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("usage", run.Stdout, StringComparison.OrdinalIgnoreCase);
        AssertNoStackTrace(run);
    }

    private static void AssertNoStackTrace(BuiltProgram.Result run)
    {
        Assert.DoesNotContain("   at ", run.Stderr + run.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", run.Stderr + run.Stdout, StringComparison.Ordinal);
    }

    private async Task<BuiltProgram.Result> RunAsync(string program, string args, TimeSpan limit)
    {
        string? dll = BuiltProgram.Find(program);
        Skip.If(dll is null, $"{program} is not built next to the tests (build Smolmix.sln)");
        BuiltProgram.Result run = await BuiltProgram.RunAsync(dll, args.Split('|'), limit);
        _out.WriteLine($"{program} {args.Replace('|', ' ')} -> exit {run.ExitCode} in {run.Elapsed.TotalSeconds:0.0} s\n{run.Stderr}");
        return run;
    }
}
