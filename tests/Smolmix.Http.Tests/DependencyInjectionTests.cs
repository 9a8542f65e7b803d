using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Smolmix.Dns;
using Smolmix.Http.Tests.Support;
using Smolmix.Tls;

namespace Smolmix.Http.Tests;

/// <summary><c>AddSmolmixTunnel</c> and <c>AddHttpClient(...).UseSmolmix()</c> in a service container.</summary>
public sealed class DependencyInjectionTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    private static void Map(WebApplication app) => app.MapGet("/secret/path", (HttpContext c) => $"hello over {c.Request.Protocol}");

    [Fact]
    public async Task A_named_client_goes_through_the_tunnel_keeps_its_handler_and_logs_no_URL()
    {
        using var cts = new CancellationTokenSource(Limit);
        await using var rig = await HttpRig.StartAsync(Map, cancellationToken: cts.Token);
        var logs = new RecordingLoggerProvider();
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        services.AddSmolmixTunnel(rig.Tunnel);
        services.AddHttpClient("mixnet").UseSmolmix(o => o.Tls = new TunnelTlsOptions { TrustedRoots = [rig.Ca.Certificate] });
        services.AddHttpClient("control").ConfigurePrimaryHttpMessageHandler(() => SmolmixHandler.Create(rig.Tunnel, new SmolmixHandlerOptions { Tls = new TunnelTlsOptions { TrustedRoots = [rig.Ca.Certificate] } }));
        await using ServiceProvider provider = services.BuildServiceProvider();

        HttpClient client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("mixnet");
        string text = await client.GetStringAsync(new Uri(rig.HttpsBase, "secret/path"), cts.Token);
        string again = await provider.GetRequiredService<IHttpClientFactory>().CreateClient("mixnet").GetStringAsync(new Uri(rig.HttpsBase, "secret/path"), cts.Token);

        Assert.Equal("hello over HTTP/1.1", text);
        Assert.Equal(text, again);
        Assert.Equal(Timeout.InfiniteTimeSpan, provider.GetRequiredService<IOptionsMonitor<HttpClientFactoryOptions>>().Get("mixnet").HandlerLifetime);
        TunnelResolver resolver = provider.GetRequiredService<TunnelResolver>();
        Assert.True(resolver.Statistics.Lookups >= 2, "the container's resolver answered the client's lookups");
        Assert.DoesNotContain(logs.Messages, m => m.Contains("secret", StringComparison.Ordinal));

        // The control: the factory's default logging handlers, which UseSmolmix removes, do write the URL.
        await provider.GetRequiredService<IHttpClientFactory>().CreateClient("control").GetStringAsync(new Uri(rig.HttpsBase, "secret/path"), cts.Token);
        Assert.Contains(logs.Messages, m => m.Contains("secret/path", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Messages.Where(m => !m.Contains("control", StringComparison.Ordinal)), m => m.Contains("secret", StringComparison.Ordinal) || (m.Contains(HttpRig.HttpsHost, StringComparison.Ordinal) && !m.StartsWith("Debug", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_tunnel_from_options_connects_on_first_use()
    {
        using var cts = new CancellationTokenSource(Limit);
        await using var rig = await HttpRig.StartAsync(Map, cancellationToken: cts.Token);
        var services = new ServiceCollection();
        services.AddSmolmixTunnel(o =>
        {
            o.NymClient = rig.Devnet.NymClientUri;
            o.Exits = [rig.Devnet.ExitAddress];
        });
        services.AddHttpClient("mixnet").UseSmolmix(o => o.Tls = new TunnelTlsOptions { TrustedRoots = [rig.Ca.Certificate] });
        await using ServiceProvider provider = services.BuildServiceProvider();
        IVirtualNetwork network = provider.GetRequiredService<IVirtualNetwork>();
        Assert.Throws<InvalidOperationException>(() => network.IPv4Address);

        string text = await provider.GetRequiredService<IHttpClientFactory>().CreateClient("mixnet").GetStringAsync(new Uri(rig.HttpsBase, "secret/path"), cts.Token);

        Assert.Equal("hello over HTTP/1.1", text);
        Assert.NotNull(network.IPv4Address);
    }

    private sealed class RecordingLoggerProvider : ILoggerProvider
    {
        public ConcurrentQueue<string> Messages { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Recorder(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Recorder(RecordingLoggerProvider owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
                => owner.Messages.Enqueue($"{logLevel} {category}: {formatter(state, exception)}");
        }
    }
}
