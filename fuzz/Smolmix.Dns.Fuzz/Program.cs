using SharpFuzz;
using Smolmix.Dns.Fuzz;

// Without arguments: the AFL target (SharpFuzz persistent mode, input on the shared-memory channel).
// "seeds DIR": writes the seed corpus. "replay FILE|DIR...": runs the target on files (reproduce a crash).
if (args.Length == 0)
{
    Fuzzer.Run(stream =>
    {
        byte[] input = FuzzInput.ReadAtMost(stream, FuzzInput.MaxLength);
        DnsRoundTripTarget.Check(input);
    });
    return 0;
}

return args[0] switch
{
    "seeds" when args.Length == 2 => SeedCorpus.Write(args[1]),
    "replay" when args.Length >= 2 => Replay.Run(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Smolmix.Dns.Fuzz [seeds DIR | replay FILE|DIR...]");
    return 2;
}
