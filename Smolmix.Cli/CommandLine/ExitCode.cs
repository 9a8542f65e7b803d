namespace Smolmix.CommandLine;

/// <summary>
/// The exit codes of every smolmix command, example and benchmark (docs/CLI.md). `smolmix get` uses curl's
/// finer codes instead (see its --help).
/// </summary>
internal static class ExitCode
{
    /// <summary>Done.</summary>
    public const int Ok = 0;

    /// <summary>The work failed (the one line on standard error says why: tunnel, network, file, …).</summary>
    public const int Failure = 1;

    /// <summary>A usage error: unknown option, missing or bad value.</summary>
    public const int Usage = 2;

    /// <summary>Stopped by Ctrl+C (SIGINT) or SIGTERM before it finished.</summary>
    public const int Interrupted = 130;
}
