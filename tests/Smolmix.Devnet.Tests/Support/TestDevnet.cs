using Microsoft.Extensions.Logging;
using Xunit.Abstractions;
using Smolmix.Nym;
using DevnetHost = Smolmix.Devnet.Devnet;

namespace Smolmix.Devnet.Tests.Support;

/// <summary>Starting Devnets and connecting nym-client WebSockets to them in tests.</summary>
internal static class TestDevnet
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    public static Task<DevnetHost> StartAsync(DevnetPreset preset = DevnetPreset.Instant, Action<DevnetOptions>? configure = null)
    {
        var options = new DevnetOptions { Preset = preset, Seed = 1234 };
        configure?.Invoke(options);
        return DevnetHost.StartAsync(options);
    }

    public static Task<NymClientConnection> ConnectAsync(DevnetHost devnet)
        => NymClientConnection.ConnectAsync(new NymClientConnectionOptions
        {
            Endpoint = devnet.NymClientUri,
            MaxReconnectAttempts = 0,
        });

    public static NymAddress Exit(DevnetHost devnet) => NymAddress.Parse(devnet.ExitAddress);

    /// <summary>Waits for a condition that other threads make true (bounded).</summary>
    public static async Task EventuallyAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        long start = TimeProvider.System.GetTimestamp();
        while (!condition())
        {
            if (TimeProvider.System.GetElapsedTime(start) > (timeout ?? Timeout))
            {
                Assert.Fail($"Timed out waiting for {what}.");
            }

            await Task.Delay(5);
        }
    }
}

/// <summary>Writes log lines to the xunit output.</summary>
internal sealed class XunitLoggerProvider(ITestOutputHelper output, LogLevel minimum = LogLevel.Debug) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(output, categoryName, minimum);

    public void Dispose()
    {
    }

    private sealed class Logger(ITestOutputHelper output, string category, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            try
            {
                output.WriteLine($"[{logLevel}] {category}: {formatter(state, exception)}{(exception is null ? string.Empty : " " + exception.GetType().Name + ": " + exception.Message)}");
            }
            catch (InvalidOperationException)
            {
                // The test has finished.
            }
        }
    }
}
