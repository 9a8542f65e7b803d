using System.Diagnostics;

namespace Smolmix.Devices;

/// <summary>Runs the Linux <c>ip</c> command (iproute2), to configure TUN interfaces and namespaces.</summary>
internal static class IpCommand
{
    /// <summary>The default time <c>ip</c> may take.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Runs <c>ip <paramref name="args"/></c> and returns its standard output.</summary>
    /// <param name="args">The arguments, for example <c>link set tun0 up</c>.</param>
    /// <param name="timeout">How long it may take; <see cref="DefaultTimeout"/> by default.</param>
    /// <exception cref="IOException"><c>ip</c> failed (the message holds its standard error), could not start, or timed out.</exception>
    public static string Run(string args, TimeSpan? timeout = null)
    {
        var startInfo = new ProcessStartInfo("ip", args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };

        Process process;
        try
        {
            process = Process.Start(startInfo) ?? throw new IOException($"Could not start 'ip {args}'.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new IOException($"Could not start 'ip {args}' (is iproute2 installed?): {e.Message}", e);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout ?? DefaultTimeout))
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // It exited after all.
                }

                throw new IOException($"'ip {args}' did not finish within {timeout ?? DefaultTimeout}.");
            }

            if (!Task.WaitAll([stdout, stderr], TimeSpan.FromSeconds(5)))
            {
                throw new IOException($"'ip {args}' exited but its output did not close.");
            }

            string output = stdout.GetAwaiter().GetResult();
            string error = stderr.GetAwaiter().GetResult();
            if (process.ExitCode != 0)
            {
                throw new IOException($"'ip {args}' failed with exit code {process.ExitCode}: {error.Trim()}");
            }

            return output;
        }
    }
}
