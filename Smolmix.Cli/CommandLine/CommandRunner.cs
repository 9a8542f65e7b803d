using System.Runtime.InteropServices;

namespace Smolmix.CommandLine;

/// <summary>
/// Runs a command so that no error shows a stack trace: a <see cref="UsageException"/> is one line and exit 2
/// (with a pointer to --help); Ctrl+C / SIGTERM cancel the token and end in exit 130; any other exception is one
/// line naming what failed and its innermost cause, exit 1. With <c>-v</c> the full exception follows that line.
/// </summary>
internal static class CommandRunner
{
    private static string? s_step;

    /// <summary>
    /// Shows progress: prints "<paramref name="what"/>…" on standard error and remembers it, so that a failure
    /// line says what was going on (e.g. "timed out while connecting the tunnel through ws://…").
    /// </summary>
    public static void Step(string what)
    {
        s_step = what;
        Console.Error.WriteLine($"{what}…");
    }

    /// <summary>Runs <paramref name="body"/> with a token that SIGINT and SIGTERM cancel.</summary>
    /// <param name="name">The command as the user typed it, e.g. <c>smolmix devnet</c>; every error line starts with it.</param>
    /// <param name="args">The arguments, only to see <c>-v</c>.</param>
    /// <param name="body">The command; returns its exit code.</param>
    public static async Task<int> RunAsync(string name, IReadOnlyList<string> args, Func<CancellationToken, Task<int>> body)
    {
        bool verbose = new ArgReader(args).WantsVerbose;
        using var interrupt = new CancellationTokenSource();
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            try
            {
                interrupt.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }

        AppDomain.CurrentDomain.UnhandledException += (_, e) =>
        {
            // A failure on a background thread: still one line, never the runtime's stack dump.
            Console.Error.WriteLine($"{name}: {Describe(e.ExceptionObject as Exception)}");
            Environment.Exit(ExitCode.Failure);
        };
        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        try
        {
            return await body(interrupt.Token).ConfigureAwait(false);
        }
        catch (UsageException ex)
        {
            Console.Error.WriteLine($"{name}: {ex.Message} (try '{name} --help')");
            return ExitCode.Usage;
        }
        catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
        {
            Console.Error.WriteLine($"{name}: interrupted");
            return ExitCode.Interrupted;
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"{name}: {Describe(ex)}{(s_step is null ? string.Empty : $" (while {s_step})")}");
            if (verbose)
            {
                Console.Error.WriteLine(ex);
            }

            return ExitCode.Failure;
        }
    }

    /// <summary>One line for an exception: its message and, when different, its innermost cause.</summary>
    public static string Describe(Exception? exception)
    {
        if (exception is null)
        {
            return "failed";
        }

        string outer = exception is OperationCanceledException ? "timed out" : exception.Message;
        Exception inner = exception;
        while (inner.InnerException is { } next)
        {
            inner = next;
        }

        string line = inner == exception || inner.Message.Length == 0 || outer.Contains(inner.Message, StringComparison.Ordinal)
            ? outer
            : $"{outer} ({inner.Message})";
        return line.ReplaceLineEndings(" ");
    }
}
