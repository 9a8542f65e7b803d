namespace Smolmix.Cli;

/// <summary>The smolmix command line.</summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        string command = args.Length > 0 ? args[0] : "demo";
        string[] rest = args.Length > 1 ? args[1..] : [];
        switch (command)
        {
            case "demo":
                return await DemoCommand.RunAsync(rest).ConfigureAwait(false);
            case "get":
                return await GetCommand.RunAsync(rest).ConfigureAwait(false);
            case "devnet":
                return await DevnetCommand.RunAsync(rest).ConfigureAwait(false);
            case "-h":
            case "--help":
            case "help":
                Console.WriteLine("usage: smolmix get [URL] [-o FILE] [-H 'N: v'] [--http2] [--preset P | --nym-client URI --exit ADDRESS] (get --help for more) | smolmix demo [KiB] [--preset instant|nym|harsh] | smolmix devnet [--port N] [--preset instant|nym|harsh] [--seed S] [--egress nat|kernel] (devnet --help for more)");
                return 0;
            default:
                Console.Error.WriteLine($"unknown command '{command}'; try 'smolmix help'");
                return 2;
        }
    }
}
