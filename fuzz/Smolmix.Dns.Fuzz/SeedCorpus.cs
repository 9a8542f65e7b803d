namespace Smolmix.Dns.Fuzz;

/// <summary>Writes <see cref="DnsSeedMessages"/> as files, one encoded message each.</summary>
internal static class SeedCorpus
{
    public static int Write(string directory)
    {
        Directory.CreateDirectory(directory);
        int count = 0;
        foreach ((string name, var message) in DnsSeedMessages.All())
        {
            File.WriteAllBytes(Path.Combine(directory, $"seed-{name}.bin"), message.Encode());
            count++;
        }

        Console.WriteLine($"{count} seeds written to {directory}");
        return 0;
    }
}
