namespace Smolmix.Dns.Fuzz;

/// <summary>Runs the fuzz target on files outside the fuzzer, to reproduce a crash or check a corpus.</summary>
internal static class Replay
{
    public static int Run(string[] paths)
    {
        int files = 0, failures = 0;
        foreach (string path in paths)
        {
            string[] inputs = Directory.Exists(path) ? Directory.GetFiles(path) : [path];
            foreach (string file in inputs)
            {
                files++;
                try
                {
                    using FileStream stream = File.OpenRead(file);
                    DnsRoundTripTarget.Check(FuzzInput.ReadAtMost(stream, FuzzInput.MaxLength));
                }
                catch (Exception ex)
                {
                    failures++;
                    Console.Error.WriteLine($"{file}: {ex}");
                }
            }
        }

        Console.WriteLine($"{files} inputs, {failures} failures");
        return failures == 0 ? 0 : 1;
    }
}
