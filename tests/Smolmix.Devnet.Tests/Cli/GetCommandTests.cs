using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Smolmix.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Smolmix.Devnet.Tests.Cli;

/// <summary>
/// `smolmix get` as a process, in its embedded mode (an embedded Devnet on the instant preset and the
/// in-process HTTPS demo site): the index and the time split, -o byte-exact, --http2, --fail, and the
/// curl-like exit codes for an unknown name and for usage errors.
/// </summary>
public sealed class GetCommandTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);
    private readonly ITestOutputHelper _out;

    public GetCommandTests(ITestOutputHelper output) => _out = output;

    [SkippableFact]
    public async Task NoUrl_FetchesTheDemoIndex_AndPrintsTheTimeSplit()
    {
        Run run = await RunAsync("get --preset instant");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("smolmix demo site, https://demo.smolmix.test/", run.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"/1m\.bin\s+1 MiB\s+sha256 [0-9a-f]{64}", run.Stdout);
        foreach (string step in new[] { "tunnel up", "DNS", "TCP", "TLS", "first byte", "body", "total" })
        {
            Assert.Matches($@"(?m)^  {step} +\d+\.\d{{3}} s", run.Stderr);
        }

        Assert.Matches(@"(?m)^bytes: [\d,]+ \(", run.Stderr);
        Assert.Contains("status: HTTP/1.1 200 OK", run.Stderr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Output_WritesTheFile_WhoseSha256TheSiteShows()
    {
        Run index = await RunAsync("get --preset instant");
        Assert.Equal(0, index.ExitCode);
        string expected = Regex.Match(index.Stdout, @"/1m\.bin\s+1 MiB\s+sha256 ([0-9a-f]{64})").Groups[1].Value;
        Assert.Equal(64, expected.Length);
        string file = Path.Combine(Path.GetTempPath(), $"smolmix-get-{Guid.NewGuid():N}.bin");
        try
        {
            Run run = await RunAsync($"get --preset instant https://demo.smolmix.test/1m.bin -o \"{file}\"");

            Assert.Equal(0, run.ExitCode);
            Assert.Equal(string.Empty, run.Stdout);
            byte[] content = await File.ReadAllBytesAsync(file);
            Assert.Equal(1024 * 1024, content.Length);
            Assert.Equal(expected, Convert.ToHexStringLower(SHA256.HashData(content)));
            Assert.Contains($"sha256: {expected}", run.Stderr, StringComparison.Ordinal);
            Assert.Contains("bytes: 1,048,576 (1.0 MiB)", run.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [SkippableFact]
    public async Task Http2_ShowsHttp2()
    {
        Run run = await RunAsync("get --preset instant --http2 https://demo.smolmix.test/headers -H \"X-Smolmix-Test: yes\"");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("status: HTTP/2 200 OK", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("GET /headers HTTP/2", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("x-smolmix-test: yes", run.Stdout, StringComparison.OrdinalIgnoreCase);
    }

    [SkippableFact]
    public async Task NameNotInTheZone_Exits6()
    {
        Run run = await RunAsync("get --preset instant https://nowhere.smolmix.test/");

        Assert.Equal(6, run.ExitCode);
        Assert.Contains("could not resolve host: nowhere.smolmix.test", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Stderr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Fail_WithA404_Exits22()
    {
        Run run = await RunAsync("get --preset instant --fail https://demo.smolmix.test/missing");

        Assert.Equal(22, run.ExitCode);
        Assert.Contains("404", run.Stderr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, run.Stdout);
    }

    [SkippableTheory]
    [InlineData("--bogus", "unknown option '--bogus'")]
    [InlineData("--timeout soon", "--timeout wants a number of seconds")]
    [InlineData("--preset fast", "--preset wants instant, nym or harsh")]
    [InlineData("-H NoColon", "-H wants 'Name: value'")]
    [InlineData("-o", "-o needs a value")]
    [InlineData("--nym-client ws://127.0.0.1:1977 https://example.com/", "--nym-client needs --exit")]
    [InlineData("--exit not-an-address https://example.com/", "--exit wants a Nym address")]
    public async Task BadOption_Exits2_NamingTheOption(string args, string expected)
    {
        Run run = await RunAsync($"get {args}");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(expected, run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Stderr, StringComparison.Ordinal);
    }

    private async Task<Run> RunAsync(string args)
    {
        string? cli = ClientProcessTrace.Built("Smolmix.Cli", "smolmix.dll");
        Skip.If(cli is null, "the smolmix CLI is not built next to the tests");
        using Process process = Process.Start(new ProcessStartInfo("dotnet", $"\"{cli}\" {args}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        using var cts = new CancellationTokenSource(Limit);
        try
        {
            Task<string> stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
            Task<string> stderr = process.StandardError.ReadToEndAsync(cts.Token);
            await process.WaitForExitAsync(cts.Token);
            var run = new Run(process.ExitCode, await stdout, await stderr);
            _out.WriteLine($"smolmix {args} -> {run.ExitCode}\n{run.Stderr}");
            return run;
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    private sealed record Run(int ExitCode, string Stdout, string Stderr);
}
