using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Smolmix.Devnet;
using DevnetHost = Smolmix.Devnet.Devnet;

namespace Smolmix.Cli;

/// <summary>
/// `smolmix devnet`: runs a local Devnet (nym-client WebSocket endpoint, mixnet model, IPR exit),
/// prints <c>key=value</c> lines (the endpoint URI and the exit address first) and runs until
/// Ctrl+C, SIGTERM or standard input closing.
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
          --no-stdin           keep running when standard input closes
          -v, --verbose        log at Debug level to standard error
        prints nym_client=ws://127.0.0.1:PORT and exit=ADDRESS (then seed, preset, egress, …, dns and one
        host=NAME=IPV4,IPV6 -> LOCAL line per --host) on stdout.
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        var options = new DevnetOptions { Port = 1977 };
        bool watchStdin = true;
        LogLevel level = LogLevel.Information;
        try
        {
            for (int i = 0; i < args.Length; i++)
            {
                string arg = args[i];
                string Next() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{arg} needs a value");
                switch (arg)
                {
                    case "--port":
                        options.Port = int.Parse(Next(), CultureInfo.InvariantCulture);
                        break;
                    case "--preset":
                        options.Preset = Next().ToLowerInvariant() switch
                        {
                            "instant" => DevnetPreset.Instant,
                            "nym" => DevnetPreset.Nym,
                            "harsh" => DevnetPreset.Harsh,
                            var other => throw new FormatException($"unknown preset '{other}'"),
                        };
                        break;
                    case "--seed":
                        options.Seed = int.Parse(Next(), CultureInfo.InvariantCulture);
                        break;
                    case "--egress":
                        options.Egress = Next().ToLowerInvariant() switch
                        {
                            "nat" => DevnetEgressMode.UserspaceNat,
                            "kernel" => DevnetEgressMode.Kernel,
                            var other => throw new FormatException($"unknown egress '{other}'"),
                        };
                        break;
                    case "--mtu":
                        options.Mtu = int.Parse(Next(), CultureInfo.InvariantCulture);
                        break;
                    case "--map":
                        string[] pair = Next().Split('=', 2);
                        if (pair.Length != 2 || !IPEndPoint.TryParse(pair[0], out IPEndPoint? from) || !IPEndPoint.TryParse(pair[1], out IPEndPoint? to))
                        {
                            throw new FormatException("--map wants PUBLIC=LOCAL endpoints, e.g. 192.0.2.10:80=127.0.0.1:8080");
                        }

                        options.AddressMap[from] = to;
                        break;
                    case "--host":
                        string[] host = Next().Split('=', 2);
                        if (host.Length != 2 || host[0].Length == 0 || !IPEndPoint.TryParse(host[1], out IPEndPoint? local) || local.Port == 0)
                        {
                            throw new FormatException("--host wants NAME=LOCAL with a port, e.g. demo.smolmix.test=127.0.0.1:8443");
                        }

                        if (!options.Hosts.TryAdd(host[0], local))
                        {
                            throw new FormatException($"--host: '{host[0]}' is given twice");
                        }

                        break;
                    case "--exit-policy":
                        options.ExitPolicy = ExitPolicy.Parse(Next());
                        break;
                    case "--no-stdin":
                        watchStdin = false;
                        break;
                    case "-v":
                    case "--verbose":
                        level = LogLevel.Debug;
                        break;
                    case "-h":
                    case "--help":
                        Console.WriteLine(Usage);
                        return 0;
                    default:
                        throw new FormatException($"unknown option '{arg}'");
                }
            }

            try
            {
                options.Validate();
            }
            catch (ArgumentException ex) when (ex.ParamName is nameof(DevnetOptions.Hosts) or nameof(DevnetOptions.DnsRecords))
            {
                // Name the option, not the property.
                throw new FormatException($"--host: {ex.Message.Replace($" (Parameter '{ex.ParamName}')", string.Empty, StringComparison.Ordinal)}", ex);
            }
        }
        catch (Exception ex) when (ex is FormatException or OverflowException or ArgumentException)
        {
            Console.Error.WriteLine($"smolmix devnet: {ex.Message}");
            Console.Error.WriteLine(Usage);
            return 2;
        }

        using var loggers = new StderrLoggerFactory(level);
        options.LoggerFactory = loggers;
        using var stop = new CancellationTokenSource();
        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }

        DevnetHost devnet;
        try
        {
            devnet = await DevnetHost.StartAsync(options, stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or PlatformNotSupportedException or System.Net.Sockets.SocketException or IOException)
        {
            Console.Error.WriteLine($"smolmix devnet: {ex.Message}");
            return 1;
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

            DevnetCounters counters = devnet.Counters;
            Console.Error.WriteLine($"smolmix devnet: stopping; {counters.WebSocketClients} WebSocket clients, {counters.Mixnet.MessagesDelivered} messages delivered, "
                + $"{counters.Exit.Allocations} allocations, {counters.Exit.PacketsToEgress} packets out, {counters.Exit.PacketsFromEgress} back, "
                + $"{counters.Dns.QueriesAnswered} DNS queries answered, {counters.Dns.Dropped} dropped");
        }

        return 0;
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
