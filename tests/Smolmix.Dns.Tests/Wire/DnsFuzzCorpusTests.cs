using Smolmix.Dns.Fuzz;

namespace Smolmix.Dns.Tests.Wire;

/// <summary>The committed fuzz corpus (fuzz/Smolmix.Dns.Fuzz/corpus) passes the fuzz target: a regression guard for what AFL++ found.</summary>
public sealed class DnsFuzzCorpusTests
{
    [Fact]
    public void Every_file_of_the_committed_fuzz_corpus_passes_the_round_trip_check()
    {
        string corpus = Path.Combine(RepositoryRoot(), "fuzz", "Smolmix.Dns.Fuzz", "corpus");
        string[] files = Directory.GetFiles(corpus);

        Assert.True(files.Length >= 30, $"{files.Length} files in {corpus}");
        foreach (string file in files)
        {
            DnsRoundTripTarget.Check(File.ReadAllBytes(file)); // rejected inputs return; only a codec bug throws
        }
    }

    private static string RepositoryRoot()
    {
        DirectoryInfo? dir = new(AppContext.BaseDirectory);
        for (int depth = 0; depth < 12 && dir is not null; depth++, dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Smolmix.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No Smolmix.sln above {AppContext.BaseDirectory}.");
    }
}
