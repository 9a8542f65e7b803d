using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
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
HostApplicationBuilder builder = Host.CreateApplicationBuilder(args); // --key value arguments become configuration
builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
string? nymClient = builder.Configuration["nym-client"];
string? exit = builder.Configuration["exit"];
if (nymClient is not null && (exit is null || builder.Configuration["url"] is null))
{
    Console.Error.WriteLine("usage: smolmix-httpclientfactory [--preset instant|nym|harsh] | --nym-client URI --exit ADDRESS --url URL");
    return 2;
}

if (!Enum.TryParse(builder.Configuration["preset"] ?? "nym", ignoreCase: true, out DevnetPreset preset))
{
    Console.Error.WriteLine("smolmix-httpclientfactory: --preset is one of instant, nym, harsh");
    return 2;
}

using var startup = new CancellationTokenSource(TimeSpan.FromMinutes(2));
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
        o.NymClient = new Uri(nymClient!);
        o.Exits = [exit!];
    });
    baseAddress = new Uri(builder.Configuration["url"]!);
}

void Trust(SmolmixHandlerOptions o) => o.Tls.TrustedRoots = roots; // null: the system's roots

builder.Services.AddHttpClient("mixnet").UseSmolmix(Trust);
builder.Services.AddHttpClient<DemoApi>(c => c.BaseAddress = baseAddress).UseSmolmix(Trust);
builder.Services.AddSingleton(new WorkerSettings(baseAddress, embedded is not null));
builder.Services.AddHostedService<Worker>();

using IHost host = builder.Build();
await host.RunAsync();
return Environment.ExitCode;
