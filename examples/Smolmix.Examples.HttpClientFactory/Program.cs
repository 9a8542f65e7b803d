using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Smolmix.CommandLine;
using Smolmix.Devnet;
using Smolmix.Examples.HttpClientFactory;
using Smolmix.Http;

// smolmix-httpclientfactory: IHttpClientFactory in a generic host, every client through one Smolmix tunnel.
//
//   smolmix-httpclientfactory [--preset instant|nym|harsh]   an embedded Devnet and a local HTTPS server behind
//                                                           its resolver (api.smolmix.test, a test CA made now)
//   smolmix-httpclientfactory --nym-client ws://127.0.0.1:1977 --exit <IPR address> --url https://example.com/
//
// A hosted service makes a few requests with a named and a typed client, then stops the host.
const string Name = "smolmix-httpclientfactory";
const string Usage = """
    usage: smolmix-httpclientfactory [--preset instant|nym|harsh] | --nym-client URI --exit ADDRESS --url URL
      [--timeout SECONDS] [-v]
    exit codes: 0 ok, 1 failed (one line says why), 2 usage error, 130 interrupted
    """;
return await CommandRunner.RunAsync(Name, args, async interrupt =>
{
    Uri? nymClient = null;
    string? exit = null;
    Uri? url = null;
    var preset = DevnetPreset.Nym;
    TimeSpan timeout = TimeSpan.FromMinutes(3);
    var reader = new ArgReader(args);
    while (reader.Next(out string? arg))
    {
        switch (arg)
        {
            case "--preset": preset = reader.Choice(arg, ("instant", DevnetPreset.Instant), ("nym", DevnetPreset.Nym), ("harsh", DevnetPreset.Harsh)); break;
            case "--nym-client": nymClient = reader.NymClient(arg); break;
            case "--exit": exit = reader.ExitAddress(arg); break;
            case "--url": url = reader.Uri(arg, "https", "http"); break;
            case "--timeout": timeout = reader.Seconds(arg); break;
            case "-v" or "--verbose": break; // the runner prints the whole exception on failure
            case "-h" or "--help": Console.WriteLine(Usage); return ExitCode.Ok;
            default: throw reader.Unknown(arg);
        }
    }

    if (nymClient is not null && (exit is null || url is null))
    {
        throw new UsageException("--nym-client needs --exit and --url");
    }

    if (nymClient is null && exit is not null)
    {
        throw new UsageException("--exit goes with --nym-client (without it, the example brings its own embedded Devnet)");
    }

    // The arguments are checked above; the host is given none (its command-line configuration would take any --key value).
    HostApplicationBuilder builder = Host.CreateApplicationBuilder([]);
    builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
    builder.Logging.AddFilter("Smolmix", reader.WantsVerbose ? LogLevel.Debug : LogLevel.Warning); // -v: the tunnel's own log
    builder.Logging.AddSimpleConsole(o => o.SingleLine = true); // one line per message, errors included
    using var startup = CancellationTokenSource.CreateLinkedTokenSource(interrupt);
    startup.CancelAfter(timeout);
    if (nymClient is null)
    {
        CommandRunner.Step($"starting the embedded Devnet ({preset}) and its HTTPS server");
    }

    await using EmbeddedNetwork? embedded = nymClient is null ? await EmbeddedNetwork.StartAsync(preset, startup.Token) : null;
    Uri baseAddress;
    X509Certificate2Collection? roots = null;
    if (embedded is not null)
    {
        // An existing network (the embedded Devnet's tunnel, already connected): the container uses it and does not dispose it.
        builder.Services.AddSmolmixTunnel(embedded.Tunnel);
        baseAddress = embedded.BaseAddress;
        roots = new X509Certificate2Collection(embedded.Root);
        Console.WriteLine($"embedded Devnet ({preset}); a local HTTPS server is {baseAddress}");
    }
    else
    {
        // The real network: the container makes the tunnel, connects it on first use and disposes it.
        builder.Services.AddSmolmixTunnel(o =>
        {
            o.NymClient = nymClient!;
            o.Exits = [exit!];
            o.ConnectTimeout = timeout;
        });
        baseAddress = url!;
    }

    void Trust(SmolmixHandlerOptions o) => o.Tls.TrustedRoots = roots; // null: the system's roots

    builder.Services.AddHttpClient("mixnet").UseSmolmix(Trust);
    builder.Services.AddHttpClient<DemoApi>(c => c.BaseAddress = baseAddress).UseSmolmix(Trust);
    builder.Services.AddSingleton(new WorkerSettings(baseAddress, embedded is not null, timeout));
    builder.Services.AddHostedService<Worker>();

    using IHost host = builder.Build();
    await host.RunAsync(interrupt);
    return Environment.ExitCode;
});
