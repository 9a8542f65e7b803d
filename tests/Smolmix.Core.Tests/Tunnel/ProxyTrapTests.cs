using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Smolmix.Discovery;
using Smolmix.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Smolmix.Tests.Tunnel;

/// <summary>
/// No environment proxy anywhere. .NET reads HTTP_PROXY/HTTPS_PROXY/ALL_PROXY once per process, so
/// the tunnel runs in a process of its own (tests/Smolmix.LeakProbe) with all of them pointing at a
/// trap listener: it connects to a fake nym-client and discovers its exit in a fake nym-api
/// directory, and the trap must see nothing. A control run in the same environment shows a default
/// <see cref="HttpClient"/> and <see cref="System.Net.WebSockets.ClientWebSocket"/> do go to the trap,
/// so the variables are in effect and the trap would have caught a leak.
/// </summary>
public sealed class ProxyTrapTests(ITestOutputHelper output)
{
    [SkippableFact]
    public async Task WithProxyVariablesSetToATrapTheTunnelConnectsAndDiscoversAndTheTrapSeesNothing()
    {
        string? probe = ClientProcessTrace.Built(Path.Combine("tests", "Smolmix.LeakProbe"), "smolmix-leak-probe.dll");
        Skip.If(probe is null, "tests/Smolmix.LeakProbe is not built next to the tests (build Smolmix.sln)");

        await using var net = new FakeMixnet();
        FakeInternetExit exit = net.AddExit(10);
        await using var api = new FakeNymApi([new(exit.Address.GatewayIdentity, "1.37.0", exit.Address.ToString(), "0.95")]);
        await using var trap = new Trap();

        (int code, string stdout, string stderr) = await RunAsync(probe!, "tunnel", net.Server.Endpoint, api.BaseUri, trap.Uri);
        output.WriteLine($"tunnel run (exit {code}): {stdout.Trim()} {stderr.Trim()}");
        output.WriteLine($"trap: {trap.Accepted} connection(s) during the tunnel run; directory requests {api.Requests.Count}; exit connects {exit.Connects}");
        Assert.Equal(0, code);
        Assert.Contains("ok tunnel", stdout, StringComparison.Ordinal);
        Assert.NotEmpty(api.Requests); // the exit was discovered through the directory
        Assert.Equal(1, exit.Connects);
        Assert.Equal(0, trap.Accepted);

        (code, stdout, stderr) = await RunAsync(probe!, "control", net.Server.Endpoint, api.BaseUri, trap.Uri);
        for (int i = 0; i < 300 && trap.Connections.Count < trap.Accepted; i++)
        {
            await Task.Delay(10); // the trap records each connection's first line
        }

        output.WriteLine($"control run (exit {code}): {stdout.Trim().ReplaceLineEndings("; ")} {stderr.Trim()}");
        output.WriteLine($"trap: {trap.Accepted} connection(s) during the control run: {string.Join(" | ", trap.Connections.Distinct())}");
        Assert.Equal(0, code);
        // A default HttpClient and a default ClientWebSocket both went to the "proxy" (each retries when the trap hangs up).
        Assert.Contains(trap.Connections, line => line.StartsWith($"GET {api.BaseUri}", StringComparison.Ordinal));
        Assert.Contains(trap.Connections, line => line.StartsWith($"CONNECT 127.0.0.1:{net.Server.Endpoint.Port}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AProxyNamedInTheOptionsIsUsedForNymClientAndTheDirectory()
    {
        await using var net = new FakeMixnet();
        await using var api = new FakeNymApi([]);
        await using var trap = new Trap();
        TunnelOptions options = net.Options();
        options.NymApi = api.BaseUri;
        options.Proxy = new WebProxy(trap.Uri);
        TunnelException failure = await Assert.ThrowsAsync<TunnelException>(() => Smolmix.Tunnel.ConnectAsync(options));
        Assert.Equal(TunnelFailureReason.NymClientProtocolError, failure.Reason); // the trap hangs up on the CONNECT
        Assert.Contains(trap.Connections, line => line.StartsWith($"CONNECT 127.0.0.1:{net.Server.Endpoint.Port}", StringComparison.Ordinal));
        Assert.Equal(0, net.Server.Upgrades);

        using var directory = new NymApiClient(api.BaseUri, null, 1, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, new WebProxy(trap.Uri));
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => directory.GetSkimmedAsync(CancellationToken.None));
        Assert.Contains(trap.Connections, line => line.StartsWith($"GET {api.BaseUri}", StringComparison.Ordinal));
        Assert.Empty(api.Requests);
    }

    [Fact]
    public void TheDirectoryClientsDefaultHandlerUsesNoProxyUnlessOneIsNamed()
    {
        using SocketsHttpHandler none = NymApiClient.CreateDefaultHandler(null);
        Assert.False(none.UseProxy);
        Assert.Null(none.Proxy);

        var proxy = new WebProxy("http://127.0.0.1:3128");
        using SocketsHttpHandler named = NymApiClient.CreateDefaultHandler(proxy);
        Assert.True(named.UseProxy);
        Assert.Same(proxy, named.Proxy);
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string probe, string mode, Uri nymClient, Uri nymApi, Uri proxy)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in new[] { probe, mode, "--nym-client", nymClient.ToString(), "--nym-api", nymApi.ToString() })
        {
            psi.ArgumentList.Add(a);
        }

        foreach (string name in new[] { "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy" })
        {
            psi.Environment[name] = proxy.ToString();
        }

        psi.Environment.Remove("NO_PROXY");
        psi.Environment.Remove("no_proxy");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        using Process child = Process.Start(psi)!;
        try
        {
            Task<string> stdout = child.StandardOutput.ReadToEndAsync(timeout.Token);
            Task<string> stderr = child.StandardError.ReadToEndAsync(timeout.Token);
            await child.WaitForExitAsync(timeout.Token);
            return (child.ExitCode, await stdout, await stderr);
        }
        finally
        {
            if (!child.HasExited)
            {
                child.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>A "proxy" on 127.0.0.1 that records the first line of every connection and hangs up.</summary>
    private sealed class Trap : IAsyncDisposable
    {
        private readonly System.Net.Sockets.TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _accept;
        private int _accepted;

        public Trap()
        {
            _listener.Start();
            Uri = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");
            _accept = AcceptAsync();
        }

        public Uri Uri { get; }

        public ConcurrentQueue<string> Connections { get; } = new();

        /// <summary>Connections accepted (counted at once, before anything is read).</summary>
        public int Accepted => Volatile.Read(ref _accepted);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            try
            {
                await _accept;
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        }

        private async Task AcceptAsync()
        {
            while (true)
            {
                using TcpClient client = await _listener.AcceptTcpClientAsync(_stop.Token);
                Interlocked.Increment(ref _accepted);
                var buffer = new byte[256];
                string first = "(nothing sent)";
                try
                {
                    using var read = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                    read.CancelAfter(TimeSpan.FromSeconds(2));
                    int n = await client.GetStream().ReadAsync(buffer, read.Token);
                    first = Encoding.ASCII.GetString(buffer, 0, n).Split("\r\n")[0];
                }
                catch (Exception ex) when (ex is IOException or OperationCanceledException)
                {
                }

                Connections.Enqueue(first);
            }
        }
    }
}
