using Smolmix.CommandLine;

namespace Smolmix.Cli;

/// <summary>The smolmix command line: `smolmix COMMAND [options]`, each command with its own --help.</summary>
internal static class Program
{
    public const string Usage = """
        usage: smolmix COMMAND [options]        (smolmix COMMAND --help for its options)
          get [URL]    fetch a URL through a Smolmix tunnel (an embedded Devnet and demo site without --nym-client)
          demo [KiB]   an embedded Devnet, a tunnel, a TCP echo, UDP datagrams and a ping (the default command)
          devnet       run a local Devnet (a nym-client endpoint and an IPR exit) until Ctrl+C or SIGTERM
        every command takes -v (log at Debug level to standard error) and -h/--help.
        exit codes: 0 ok, 1 failed (one line on standard error says why), 2 usage error, 130 interrupted;
          get uses curl's codes (smolmix get --help). docs/CLI.md has the table.
        """;

    private static async Task<int> Main(string[] args)
    {
        string command = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "demo";
        string[] rest = args.Length > 0 && !args[0].StartsWith('-') ? args[1..] : args;
        switch (command)
        {
            case "demo" when rest is ["-h" or "--help"] && args.Length == 1:
            case "help":
                Console.WriteLine(Usage);
                return ExitCode.Ok;
            case "demo":
                return await CommandRunner.RunAsync("smolmix demo", rest, ct => DemoCommand.RunAsync(rest, ct)).ConfigureAwait(false);
            case "get":
                return await GetCommand.RunAsync(rest).ConfigureAwait(false);
            case "devnet":
                return await CommandRunner.RunAsync("smolmix devnet", rest, ct => DevnetCommand.RunAsync(rest, ct)).ConfigureAwait(false);
            default:
                Console.Error.WriteLine($"smolmix: unknown command '{command}' (try 'smolmix --help')");
                return ExitCode.Usage;
        }
    }
}
