namespace Smolmix.CommandLine;

/// <summary>A command-line usage error: its message is the one line to print (it names the option and the value); exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
