using BenchmarkDotNet.Running;
using Smolmix.CommandLine;

namespace Smolmix.Benchmarks;

/// <summary>
/// Entry point. <c>compare-kernel</c>, <c>mixnet-path</c>, <c>dns-lookups</c>, <c>http-requests</c>, <c>devnet-path</c> and <c>idle-connections</c> run the stand-alone comparisons; anything
/// else goes to the BenchmarkDotNet switcher (e.g. <c>--filter *Wire*</c>).
/// </summary>
public static class Program
{
    private const string Usage = """
        usage: Smolmix.Benchmarks COMMAND [options]     (COMMAND --help for its options)
          compare-kernel   Smolmix's TCP stack against the kernel's over the same in-memory link
          mixnet-path      TCP throughput over modelled mixnet paths (loss, delay, queue)
          dns-lookups      cold, cached and concurrent lookups through an embedded Devnet
          http-requests    HttpClient over SmolmixHandler through an embedded Devnet
          idle-connections managed memory per idle TCP endpoint (N connections between two in-memory stacks)
          devnet-path      uploads, downloads, latency under load and Sphinx packets through the Devnet, against the preset's limits
          --filter GLOB    (or any other BenchmarkDotNet option) the BenchmarkDotNet suites, e.g. --filter *Wire*;
                           --bdn-help shows BenchmarkDotNet's own help
        exit codes: 0 ok, 1 failed (one line says why), 2 usage error, 130 interrupted
        """;

    public static async Task<int> Main(string[] args)
    {
        string name = args.Length > 0 && !args[0].StartsWith('-') ? $"Smolmix.Benchmarks {args[0]}" : "Smolmix.Benchmarks";
        switch (args.FirstOrDefault())
        {
            case "compare-kernel":
                return await CommandRunner.RunAsync(name, args, _ => KernelComparison.RunAsync(args[1..])).ConfigureAwait(false);
            case "http-requests":
                return await CommandRunner.RunAsync(name, args, _ => HttpRoundTripBenchmark.RunAsync(args[1..])).ConfigureAwait(false);
            case "idle-connections":
                return await CommandRunner.RunAsync(name, args, _ => IdleConnectionsBenchmark.RunAsync(args[1..])).ConfigureAwait(false);
            case "devnet-path":
                return await CommandRunner.RunAsync(name, args, _ => DevnetPathBenchmark.RunAsync(args[1..])).ConfigureAwait(false);
            case "dns-lookups":
                return await CommandRunner.RunAsync(name, args, _ => DnsLookupBenchmark.RunAsync(args[1..])).ConfigureAwait(false);
            case "mixnet-path":
                return await CommandRunner.RunAsync(name, args, _ => Task.FromResult(MixnetPathBenchmark.Run(args[1..]))).ConfigureAwait(false);
            case "-h" or "--help" or "help":
                Console.WriteLine(Usage);
                return ExitCode.Ok;
            case "--bdn-help":
                BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(["--help"]);
                return ExitCode.Ok;
            case string other when !other.StartsWith('-'):
                Console.Error.WriteLine($"Smolmix.Benchmarks: unknown command '{other}' (try 'Smolmix.Benchmarks --help')");
                return ExitCode.Usage;
            default:
                BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
                return 0;
        }
    }
}
