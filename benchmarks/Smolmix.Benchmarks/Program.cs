using BenchmarkDotNet.Running;

namespace Smolmix.Benchmarks;

/// <summary>
/// Entry point. <c>compare-kernel</c>, <c>mixnet-path</c>, <c>dns-lookups</c>, <c>http-requests</c> and <c>devnet-path</c> run the stand-alone comparisons; anything
/// else goes to the BenchmarkDotNet switcher (e.g. <c>--filter *Wire*</c>).
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        switch (args.FirstOrDefault())
        {
            case "compare-kernel":
                return await KernelComparison.RunAsync(args[1..]).ConfigureAwait(false);
            case "http-requests":
                return await HttpRoundTripBenchmark.RunAsync(args[1..]).ConfigureAwait(false);
            case "devnet-path":
                return await DevnetPathBenchmark.RunAsync(args[1..]).ConfigureAwait(false);
            case "dns-lookups":
                return await DnsLookupBenchmark.RunAsync(args[1..]).ConfigureAwait(false);
            case "mixnet-path":
                return MixnetPathBenchmark.Run(args[1..]);
            default:
                BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
                return 0;
        }
    }
}
