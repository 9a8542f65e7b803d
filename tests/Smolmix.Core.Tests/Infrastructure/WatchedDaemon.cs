using System.Diagnostics;
using System.Text;

namespace Smolmix.Tests.Infrastructure;

/// <summary>
/// A server program from the distribution (unbound, nginx, ...) run in the foreground for a test, under a
/// small <c>/bin/sh</c> watchdog that stops it (SIGTERM) when the watchdog's stdin reaches end of file: when
/// the fixture stops it, or when the test process dies, so no daemon outlives the tests. Its output is
/// collected for diagnostics.
/// </summary>
internal sealed class WatchedDaemon
{
    // Runs "$@" in the background with stdin from /dev/null, kills it when our stdin closes, exits with its status.
    // The stdin reader is reaped before the shell exits, so no process of the tree outlives the watchdog.
    private const string WatchdogScript = """
        exec 3<&0
        "$@" </dev/null 3<&- &
        daemon=$!
        ( read -r _ <&3; kill -TERM "$daemon" 2>/dev/null ) &
        watchdog=$!
        exec 3<&-
        wait "$daemon"
        status=$?
        kill "$watchdog" 2>/dev/null
        wait "$watchdog" 2>/dev/null
        exit "$status"
        """;

    private readonly Process _process;
    private readonly StringBuilder _output;

    private WatchedDaemon(string name, Process process, StringBuilder output)
    {
        Name = name;
        _process = process;
        _output = output;
    }

    public string Name { get; }

    /// <summary>The watchdog shell's process id (the daemon is its child).</summary>
    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The watchdog's exit status (the daemon's), once it has exited.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>What the daemon has written to stdout and stderr so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Finds a program: the path in <paramref name="overrideVariable"/> if set, else on PATH or in the sbin folders.</summary>
    public static string? Find(string program, string overrideVariable)
    {
        if (Environment.GetEnvironmentVariable(overrideVariable) is { Length: > 0 } named)
        {
            return File.Exists(named) ? named : null;
        }

        return (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin", "/usr/local/sbin"])
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);
    }

    /// <summary>Starts <paramref name="command"/> (program and arguments) in <paramref name="directory"/> under the watchdog.</summary>
    public static WatchedDaemon Start(string name, string directory, IReadOnlyList<string> command)
    {
        string script = Path.Combine(directory, "run.sh");
        File.WriteAllText(script, WatchdogScript);
        var start = new ProcessStartInfo("/bin/sh")
        {
            WorkingDirectory = directory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(script);
        foreach (string argument in command)
        {
            start.ArgumentList.Add(argument);
        }

        var output = new StringBuilder();
        var process = new Process { StartInfo = start };
        void Append(object sender, DataReceivedEventArgs e)
        {
            if (e.Data is not null)
            {
                lock (output)
                {
                    output.Append(e.Data).Append('\n');
                }
            }
        }

        process.OutputDataReceived += Append;
        process.ErrorDataReceived += Append;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new WatchedDaemon(name, process, output);
    }

    /// <summary>Closes the watchdog's stdin (the daemon gets SIGTERM); kills the whole tree if it does not exit in time.</summary>
    /// <exception cref="InvalidOperationException">It did not exit even after SIGKILL.</exception>
    public async Task StopAsync(TimeSpan timeout)
    {
        try
        {
            if (!_process.HasExited)
            {
                try
                {
                    _process.StandardInput.Close();
                }
                catch (IOException)
                {
                }

                if (!await WaitForExitAsync(timeout))
                {
                    _process.Kill(entireProcessTree: true);
                    if (!await WaitForExitAsync(timeout))
                    {
                        throw new InvalidOperationException($"{Name} (watchdog pid {_process.Id}) did not exit after SIGKILL");
                    }
                }
            }
        }
        finally
        {
            _process.Dispose();
        }
    }

    /// <summary>Deletes a fixture's temporary folder, ignoring what cannot be deleted.</summary>
    public static void DeleteDirectory(DirectoryInfo directory)
    {
        try
        {
            directory.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
