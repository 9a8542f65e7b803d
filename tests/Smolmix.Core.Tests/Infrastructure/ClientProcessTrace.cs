using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Smolmix.Tests.Infrastructure;

/// <summary>
/// Runs a .NET program in a process of its own under strace and reads back what it did on the
/// network and which files it opened, so a test can assert that a client leaked nothing: its only
/// connection is the WebSocket to the Devnet, it sends on no other socket, binds and listens on
/// none, and never opens the system's resolver configuration.
/// </summary>
internal sealed partial class ClientProcessTrace
{
    /// <summary>The system files a resolver would read; a tunnelled client must open none of them.</summary>
    public static readonly string[] ResolverFiles = ["/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/gai.conf", "/etc/host.conf"];

    private readonly List<string> _connects = [];
    private readonly List<string> _violations = [];
    private readonly List<string> _opened = [];
    private int _datagramSockets;

    private ClientProcessTrace(int exitCode, string stdout, string stderr)
    {
        ExitCode = exitCode;
        Stdout = stdout;
        Stderr = stderr;
    }

    /// <summary>Why a traced run cannot happen here, or null when it can.</summary>
    public static string? WhyUnavailable =>
        !OperatingSystem.IsLinux() ? "strace is Linux-only"
        : Which("strace") is null ? "strace is not installed (scripts/setup-test-env.sh installs it as root)"
        : null;

    public int ExitCode { get; }

    public string Stdout { get; }

    public string Stderr { get; }

    /// <summary>Every connect() the client made, as strace printed it.</summary>
    public IReadOnlyList<string> Connects => _connects;

    /// <summary>Every file path the client opened.</summary>
    public IReadOnlyList<string> Opened => _opened;

    /// <summary>Finds a program built next to the tests (same configuration), or null.</summary>
    public static string? Built(string project, string dll)
    {
        string configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent?.Name ?? "Release";
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Smolmix.sln")))
            {
                string path = Path.Combine(dir.FullName, project, "bin", configuration, "net10.0", dll);
                return File.Exists(path) ? path : null;
            }
        }

        return null;
    }

    /// <summary>Runs <c>dotnet <paramref name="dll"/> <paramref name="args"/></c> under strace (bounded by <paramref name="cancellationToken"/>).</summary>
    public static async Task<ClientProcessTrace> RunAsync(string dll, IEnumerable<string> args, int devnetPort, IReadOnlyDictionary<string, string>? environment, CancellationToken cancellationToken)
    {
        string trace = Path.Combine(Path.GetTempPath(), $"smx-strace-{Guid.NewGuid():N}.txt");
        var psi = new ProcessStartInfo("strace")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in new[] { "-f", "-qq", "-e", "trace=socket,connect,bind,listen,sendto,sendmsg,sendmmsg,open,openat", "-o", trace, "dotnet", dll }.Concat(args))
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["DOTNET_EnableDiagnostics"] = "0"; // no diagnostics IPC socket
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[key] = value;
        }

        try
        {
            using Process client = Process.Start(psi)!;
            try
            {
                var stdout = client.StandardOutput.ReadToEndAsync(cancellationToken);
                var stderr = client.StandardError.ReadToEndAsync(cancellationToken);
                await client.WaitForExitAsync(cancellationToken);
                var result = new ClientProcessTrace(client.ExitCode, await stdout, await stderr);
                result.Analyse(File.ReadAllLines(trace), devnetPort);
                return result;
            }
            finally
            {
                if (!client.HasExited)
                {
                    client.Kill(entireProcessTree: true);
                }
            }
        }
        finally
        {
            File.Delete(trace);
        }
    }

    /// <summary>Fails unless the client's only network activity was one WebSocket connection to the Devnet.</summary>
    public void AssertOnlyTheWebSocket()
    {
        Assert.True(_violations.Count == 0, "the client did more than talk to the Devnet:\n" + string.Join("\n", _violations));
        Assert.True(_connects.Count == 1, $"expected one connection (the WebSocket to the Devnet), saw {_connects.Count}:\n" + string.Join("\n", _connects));
    }

    /// <summary>Fails if the client opened any of <paramref name="paths"/>.</summary>
    public void AssertNeverOpened(IEnumerable<string> paths)
    {
        string[] touched = _opened.Where(p => paths.Contains(p, StringComparer.Ordinal)).Distinct().ToArray();
        Assert.True(touched.Length == 0, "the client opened " + string.Join(", ", touched));
    }

    /// <summary>One line for the test output.</summary>
    public string Summary =>
        $"strace: {_connects.Count} connect(s) ({string.Join("; ", _connects)}); {_datagramSockets} datagram socket(s) never connected, bound or written to; {_opened.Count} files opened; {_violations.Count} violations";

    private static string? Which(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);

    private void Analyse(string[] lines, int devnetPort)
    {
        var kinds = new Dictionary<int, string>(); // socket kind by descriptor (one client process)
        var toDevnet = new HashSet<int>();
        var unfinished = new Dictionary<string, (string Call, string Args)>();
        foreach (string raw in lines)
        {
            string call, args, result;
            Match m = SyscallLine().Match(raw);
            if (m.Success)
            {
                (call, args, result) = (m.Groups["call"].Value, m.Groups["args"].Value, m.Groups["ret"].Value);
            }
            else if ((m = UnfinishedLine().Match(raw)).Success)
            {
                // strace -f splits a call another thread interrupted: "<unfinished ...>" now, "resumed" later.
                unfinished[m.Groups["pid"].Value] = (m.Groups["call"].Value, m.Groups["args"].Value);
                continue;
            }
            else if ((m = ResumedLine().Match(raw)).Success && unfinished.Remove(m.Groups["pid"].Value, out var begun))
            {
                (call, args, result) = (begun.Call, begun.Args + m.Groups["rest"].Value, m.Groups["ret"].Value);
            }
            else
            {
                continue;
            }

            switch (call)
            {
                case "open":
                case "openat":
                    Match path = QuotedPath().Match(args);
                    if (path.Success)
                    {
                        _opened.Add(path.Groups["path"].Value);
                    }

                    break;
                case "socket" when int.TryParse(result, out int fd):
                    kinds[fd] = args;
                    toDevnet.Remove(fd);
                    if (!args.Contains("SOCK_STREAM", StringComparison.Ordinal))
                    {
                        _datagramSockets++;
                    }

                    break;
                case "socket":
                    break;
                case "connect":
                    int cfd = int.Parse(args[..args.IndexOf(',', StringComparison.Ordinal)]);
                    bool loopback = args.Contains("\"127.0.0.1\"", StringComparison.Ordinal) || args.Contains("\"::ffff:127.0.0.1\"", StringComparison.Ordinal) || args.Contains("\"::1\"", StringComparison.Ordinal);
                    _connects.Add(raw);
                    if (!(loopback && args.Contains($"htons({devnetPort})", StringComparison.Ordinal)))
                    {
                        _violations.Add("connected somewhere other than the Devnet: " + raw);
                    }
                    else
                    {
                        toDevnet.Add(cfd);
                    }

                    break;
                case "bind":
                case "listen":
                    _violations.Add("bound or listened: " + raw);
                    break;
                default: // sendto / sendmsg / sendmmsg
                    int sfd = int.Parse(args[..args.IndexOf(',', StringComparison.Ordinal)]);
                    if (!toDevnet.Contains(sfd))
                    {
                        _violations.Add("sent on a socket that is not the Devnet WebSocket: " + raw);
                    }

                    break;
            }
        }

        foreach (var (fd, kind) in kinds)
        {
            if (kind.Contains("SOCK_STREAM", StringComparison.Ordinal) && kind.Contains("AF_INET", StringComparison.Ordinal) && !toDevnet.Contains(fd))
            {
                _violations.Add($"a TCP socket that never connected to the Devnet: {kind}");
            }
        }
    }

    [GeneratedRegex(@"^(?<pid>\d+)\s+(?<call>socket|connect|bind|listen|sendto|sendmsg|sendmmsg|open|openat)\((?<args>.*)\)\s+=\s+(?<ret>-?\d+)")]
    private static partial Regex SyscallLine();

    [GeneratedRegex(@"^(?<pid>\d+)\s+(?<call>socket|connect|bind|listen|sendto|sendmsg|sendmmsg|open|openat)\((?<args>.*?)\s*<unfinished \.\.\.>")]
    private static partial Regex UnfinishedLine();

    [GeneratedRegex(@"^(?<pid>\d+)\s+<\.\.\. (?<call>\w+) resumed>(?<rest>.*)\)\s+=\s+(?<ret>-?\d+)")]
    private static partial Regex ResumedLine();

    [GeneratedRegex("\"(?<path>[^\"]*)\"")]
    private static partial Regex QuotedPath();
}
