using BenchmarkDotNet.Running;

namespace Smolmix.Benchmarks;

/// <summary>Entry point: BenchmarkDotNet switcher over every benchmark in this assembly.</summary>
public static class Program
{
    /// <summary>Runs the benchmarks named on the command line.</summary>
    public static int Main(string[] args)
    {
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
