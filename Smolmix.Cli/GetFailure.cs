namespace Smolmix.Cli;

/// <summary>A failure of `smolmix get` with its exit code and the one line to print.</summary>
internal sealed class GetFailure(int exitCode, string message, Exception? inner = null) : Exception(message, inner)
{
    public int ExitCode { get; } = exitCode;
}
