using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Smolmix.Echo;
using Smolmix.Http.Tests.Support;
using Smolmix.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Smolmix.Http.Tests;

/// <summary>
/// The HTTP leak test, with a real client process (tests/Smolmix.LeakProbe): HTTPS over HTTP/1.1 and
/// HTTP/2, a WebSocket and a gRPC call through the Devnet, with HTTP_PROXY, HTTPS_PROXY and
/// ALL_PROXY set; strace shows the only socket is the WebSocket to the Devnet, nothing else is sent
/// (no UDP), and no resolver configuration is read.
/// </summary>
public sealed class HttpLeakTests(ITestOutputHelper output)
{
    [SkippableFact]
    public async Task HTTPS_HTTP2_WebSocket_and_gRPC_leave_only_through_the_tunnel_even_with_proxies_set()
    {
        Skip.If(ClientProcessTrace.WhyUnavailable is not null, ClientProcessTrace.WhyUnavailable);
        string? probe = ClientProcessTrace.Built(Path.Combine("tests", "Smolmix.LeakProbe"), "smolmix-leak-probe.dll");
        Skip.If(probe is null, "tests/Smolmix.LeakProbe is not built next to the tests");
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await using var rig = await HttpRig.StartAsync(
            app =>
            {
                app.UseWebSockets();
                app.MapGet("/hello", (HttpContext c) => $"hello over {c.Request.Protocol}");
                app.MapWebSocketEcho();
                app.MapGrpcService<EchoService>();
            },
            services: s => s.AddGrpc(),
            cancellationToken: cts.Token);
        string caPath = Path.Combine(Path.GetTempPath(), $"smx-ca-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(caPath, rig.Ca.Certificate.ExportCertificatePem(), cts.Token);
        try
        {
            var proxies = new Dictionary<string, string>
            {
                ["HTTP_PROXY"] = "http://127.0.0.1:9",
                ["HTTPS_PROXY"] = "http://127.0.0.1:9",
                ["ALL_PROXY"] = "socks5://127.0.0.1:9",
                ["http_proxy"] = "http://127.0.0.1:9",
                ["https_proxy"] = "http://127.0.0.1:9",
                ["all_proxy"] = "socks5://127.0.0.1:9",
            };

            ClientProcessTrace client = await ClientProcessTrace.RunAsync(
                probe!,
                ["--nym-client", rig.Devnet.NymClientUri.ToString(), "--exit", rig.Devnet.ExitAddress, "--ca", caPath, "--base", rig.HttpsBase.ToString()],
                rig.Devnet.NymClientUri.Port,
                proxies,
                cts.Token);
            output.WriteLine(client.Stdout);
            output.WriteLine(client.Stderr);
            output.WriteLine(client.Summary);

            Assert.Equal(0, client.ExitCode);
            Assert.Contains("ok https/1.1: hello over HTTP/1.1", client.Stdout);
            Assert.Contains("ok https/2.0: hello over HTTP/2", client.Stdout);
            Assert.Contains("ok websocket: probe", client.Stdout);
            Assert.Contains("ok grpc: probe", client.Stdout);
            client.AssertOnlyTheWebSocket();
            client.AssertNeverOpened(ClientProcessTrace.ResolverFiles);
        }
        finally
        {
            File.Delete(caPath);
        }
    }
}
