using System.Net;
using Smolmix.Devnet;
using Smolmix.Tests.Infrastructure;
using Xunit.Abstractions;
using DevnetHost = Smolmix.Devnet.Devnet;

namespace Smolmix.Dns.Tests.ThroughDevnet;

/// <summary>
/// The leak test, with a real client process: examples/Smolmix.Examples.Resolve (public API only)
/// resolves 20 names through a Devnet; strace shows its only socket is the WebSocket to the Devnet
/// and that it never opens the system's resolver configuration, even with proxy variables set.
/// </summary>
public sealed class ResolverLeakTests(ITestOutputHelper output)
{
    [SkippableFact]
    public async Task A_client_resolving_20_names_uses_only_its_WebSocket_and_reads_no_resolver_configuration()
    {
        Skip.If(ClientProcessTrace.WhyUnavailable is not null, ClientProcessTrace.WhyUnavailable);
        string? resolve = ClientProcessTrace.Built(Path.Combine("examples", "Smolmix.Examples.Resolve"), "smolmix-resolve.dll");
        Skip.If(resolve is null, "examples/Smolmix.Examples.Resolve is not built next to the tests");
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        string[] names = Enumerable.Range(1, 20).Select(i => $"host{i}.leaktest.example").ToArray();
        var options = new DevnetOptions { Preset = DevnetPreset.Instant, Seed = 77 };
        for (int i = 0; i < names.Length; i++)
        {
            options.Hosts[names[i]] = new IPEndPoint(IPAddress.Loopback, 20000 + i);
        }

        await using DevnetHost devnet = await DevnetHost.StartAsync(options, cts.Token);
        var proxies = new Dictionary<string, string>
        {
            ["HTTP_PROXY"] = "http://127.0.0.1:9",
            ["HTTPS_PROXY"] = "http://127.0.0.1:9",
            ["ALL_PROXY"] = "socks5://127.0.0.1:9",
            ["http_proxy"] = "http://127.0.0.1:9",
            ["https_proxy"] = "http://127.0.0.1:9",
        };

        ClientProcessTrace client = await ClientProcessTrace.RunAsync(
            resolve!,
            ["--nym-client", devnet.NymClientUri.ToString(), "--exit", devnet.ExitAddress, .. names],
            devnet.NymClientUri.Port,
            proxies,
            cts.Token);
        output.WriteLine(client.Stdout);
        output.WriteLine(client.Stderr);
        output.WriteLine(client.Summary);

        Assert.Equal(0, client.ExitCode);
        foreach (DevnetHostMapping host in devnet.Hosts)
        {
            Assert.Contains($"{host.IPv4} {host.IPv6}", client.Stdout);
        }

        Assert.True(devnet.Counters.Dns.QueriesAnswered >= 40, $"the Devnet answered {devnet.Counters.Dns.QueriesAnswered} queries");
        client.AssertOnlyTheWebSocket();
        client.AssertNeverOpened(ClientProcessTrace.ResolverFiles);
    }
}
