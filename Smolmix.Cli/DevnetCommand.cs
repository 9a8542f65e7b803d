using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Smolmix.CommandLine;
using Smolmix.Devnet;
using DevnetHost = Smolmix.Devnet.Devnet;

namespace Smolmix.Cli;

/// <summary>
/// `smolmix devnet`: runs a local Devnet (nym-client WebSocket endpoint, mixnet model, IPR exit),
/// prints <c>key=value</c> lines (the endpoint URI and the exit address first) and runs until
/// Ctrl+C or SIGTERM, whatever standard input is; with <c>--stop-on-stdin-eof</c> also until standard input closes.
/// </summary>
internal static class DevnetCommand
{
    public const string Usage = """
        usage: smolmix devnet [options]
          --port N             nym-client WebSocket port on 127.0.0.1 (default 1977; 0 = any free port)
          --preset P           instant | nym | harsh (default nym)
          --seed S             seed of every random decision (default: random, printed)
          --egress E           nat (userspace, default) | kernel (root: TUN in a private network namespace)
          --mtu N              exit MTU reported to v10 clients (default 1420)
          --map PUBLIC=LOCAL   NAT only: e.g. --map 192.0.2.10:80=127.0.0.1:8080 (repeatable)
          --host NAME=LOCAL    NAT only: the resolver at 9.9.9.9:53 / 1.1.1.1:53 answers NAME with a public
                               address that reaches LOCAL, e.g. --host demo.smolmix.test=127.0.0.1:8443
                               (repeatable; other names get NXDOMAIN, no query leaves the machine)
          --exit-policy TEXT   e.g. "reject 192.0.2.20/32:25, accept *:*"
          --stop-on-stdin-eof  also stop when standard input closes (for a parent process that holds a pipe)
          -v, --verbose        log at Debug level to standard error
          -h, --help           this text
        Runs until Ctrl+C or SIGTERM (exit 0), whatever standard input is, so it can run in the background.
        prints nym_client=ws://127.0.0.1:PORT and exit=ADDRESS (then seed, preset, egress, …, dns and one
        host=NAME=IPV4,IPV6 -> LOCAL line per --host) on stdout.
        exit codes: 0 stopped by Ctrl+C/SIGTERM (or stdin EOF when asked), 1 could not start (e.g. the port is
          in use), 2 usage error.
        """;

    public static async Task<int> RunAsync(string[] args, CancellationToken interrupt)
    {
        var options = new DevnetOptions { Port = 1977 };
        bool watchStdin = false;
        LogLevel level = LogLevel.Information;
        var reader = new ArgReader(args);
        while (reader.Next(out string? arg))
        {
            switch (arg)
            {
                case "--port":
                    options.Port = reader.Int(arg, 0, 65535);
                    break;
                case "--preset":
                    options.Preset = reader.Choice(arg, ("instant", DevnetPreset.Instant), ("nym", DevnetPreset.Nym), ("harsh", DevnetPreset.Harsh));
                    break;
                case "--seed":
                    options.Seed = reader.Int(arg, int.MinValue, int.MaxValue);
                    break;
                case "--egress":
                    options.Egress = reader.Choice(arg, ("nat", DevnetEgressMode.UserspaceNat), ("kernel", DevnetEgressMode.Kernel));
                    break;
                case "--mtu":
                    options.Mtu = reader.Int(arg, 1280, 65535);
                    break;
                case "--map":
                    string map = reader.Value(arg);
                    string[] pair = map.Split('=', 2);
                    if (pair.Length != 2 || !IPEndPoint.TryParse(pair[0], out IPEndPoint? from) || !IPEndPoint.TryParse(pair[1], out IPEndPoint? to))
                    {
                        throw ArgReader.Bad(arg, "PUBLIC=LOCAL endpoints, e.g. 192.0.2.10:80=127.0.0.1:8080", map);
                    }

                    options.AddressMap[from] = to;
                    break;
                case "--host":
                    string[] host = reader.Value(arg).Split('=', 2);
                    if (host.Length != 2 || host[0].Length == 0 || !IPEndPoint.TryParse(host[1], out IPEndPoint? local) || local.Port == 0)
                    {
                        throw new UsageException("--host wants NAME=LOCAL with a port, e.g. demo.smolmix.test=127.0.0.1:8443");
                    }

                    if (!options.Hosts.TryAdd(host[0], local))
                    {
                        throw new UsageException($"--host: '{host[0]}' is given twice");
                    }

                    break;
                case "--exit-policy":
                    string policy = reader.Value(arg);
                    try
                    {
                        options.ExitPolicy = ExitPolicy.Parse(policy);
                    }
                    catch (FormatException ex)
                    {
                        throw new UsageException($"--exit-policy: {ex.Message}");
                    }

                    break;
                case "--stop-on-stdin-eof":
                    watchStdin = true;
                    break;
                case "--no-stdin":
                    // The default now; accepted so that older scripts keep working.
                    break;
                case "-v":
                case "--verbose":
                    level = LogLevel.Debug;
                    break;
                case "-h":
                case "--help":
                    Console.WriteLine(Usage);
                    return ExitCode.Ok;
                default:
                    throw reader.Unknown(arg);
            }
        }

        try
        {
            options.Validate();
        }
        catch (ArgumentException ex) when (ex.ParamName is nameof(DevnetOptions.Hosts) or nameof(DevnetOptions.DnsRecords))
        {
            // Name the option, not the property.
            throw new UsageException($"--host: {ex.Message.Replace($" (Parameter '{ex.ParamName}')", string.Empty, StringComparison.Ordinal)}");
        }
        catch (ArgumentException ex)
        {
            throw new UsageException(ex.Message);
        }

        using var loggers = new StderrLoggerFactory(level);
        options.LoggerFactory = loggers;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(interrupt);

        DevnetHost devnet;
        try
        {
            devnet = await DevnetHost.StartAsync(options, stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (FindAddressInUse(ex) is not null)
        {
            throw new IOException($"port {options.Port} on 127.0.0.1 is already in use; pick another with --port (0 = any free port)", ex);
        }

        await using (devnet.ConfigureAwait(false))
        {
            Console.Out.WriteLine($"nym_client={devnet.NymClientUri.GetLeftPart(UriPartial.Authority)}");
            Console.Out.WriteLine($"exit={devnet.ExitAddress}");
            Console.Out.WriteLine($"seed={devnet.Seed}");
            Console.Out.WriteLine($"preset={options.Preset.ToString().ToLowerInvariant()}");
            Console.Out.WriteLine($"egress={(options.Egress == DevnetEgressMode.Kernel ? "kernel" : "nat")}");
            Console.Out.WriteLine($"mtu={options.Mtu}");
            if (devnet.EgressNamespace is { } ns)
            {
                Console.Out.WriteLine($"namespace={ns}");
            }

            Console.Out.WriteLine($"dns={string.Join(',', Smolmix.Dns.DnsServer.Defaults.Where(s => !s.UsesTls).Select(s => s.EndPoint))}");
            foreach (DevnetHostMapping mapping in devnet.Hosts)
            {
                Console.Out.WriteLine($"host={mapping}");
            }

            Console.Out.Flush();
            if (watchStdin)
            {
                _ = Task.Run(() => WatchStdinAsync(stop), CancellationToken.None);
            }

            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            Console.Error.WriteLine(interrupt.IsCancellationRequested ? "smolmix devnet: stopping (signal)" : "smolmix devnet: stopping (standard input closed)");
            DevnetCounters counters = devnet.Counters;
            Console.Error.WriteLine($"smolmix devnet: stopping; {counters.WebSocketClients} WebSocket clients, {counters.Mixnet.MessagesDelivered} messages delivered, "
                + $"{counters.Exit.Allocations} allocations, {counters.Exit.PacketsToEgress} packets out, {counters.Exit.PacketsFromEgress} back, "
                + $"{counters.Dns.QueriesAnswered} DNS queries answered, {counters.Dns.Dropped} dropped");
        }

        return ExitCode.Ok;
    }

    private static SocketException? FindAddressInUse(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } s)
            {
                return s;
            }
        }

        return null;
    }

    private static async Task WatchStdinAsync(CancellationTokenSource stop)
    {
        try
        {
            Stream input = Console.OpenStandardInput();
            var buffer = new byte[256];
            while (await input.ReadAsync(buffer, stop.Token).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
        }

        try
        {
            await stop.CancelAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
