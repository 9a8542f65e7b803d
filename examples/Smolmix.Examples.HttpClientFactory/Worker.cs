using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Smolmix.Examples.HttpClientFactory;

/// <summary>Makes a few requests (a named client, then the typed one, three at once) and stops the host.</summary>
internal sealed class Worker(IHttpClientFactory factory, DemoApi api, WorkerSettings settings, IHostApplicationLifetime lifetime, ILogger<Worker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        bounded.CancelAfter(settings.Timeout);
        try
        {
            var clock = Stopwatch.StartNew();
            HttpClient named = factory.CreateClient("mixnet");
            string page = await named.GetStringAsync(new Uri(settings.BaseAddress, settings.DemoServer ? "hello" : string.Empty), bounded.Token);
            logger.LogInformation("named client: {Length} chars in {Ms} ms (a new mixnet connection): {First}", page.Length, clock.ElapsedMilliseconds, page.Trim().Split('\n')[0]);

            string[] paths = settings.DemoServer ? ["time", "time", "hello"] : [string.Empty, string.Empty, string.Empty];
            clock.Restart();
            string[] results = await Task.WhenAll(paths.Select(p => api.GetAsync(p, bounded.Token)));
            for (int i = 0; i < results.Length; i++)
            {
                logger.LogInformation("typed client /{Path}: {Result}", paths[i], results[i]);
            }

            logger.LogInformation("three requests at once in {Ms} ms (the typed client has its own handler and connections; the name came from the resolver the container shares)", clock.ElapsedMilliseconds);
        }
        catch (Exception ex)
        {
            // One line on standard error, never a stack trace (the host would log an escaping exception with its stack).
            string why = ex is OperationCanceledException && !stoppingToken.IsCancellationRequested
                ? $"timed out after {settings.Timeout.TotalSeconds} s (--timeout)"
                : ex.InnerException?.Message ?? ex.Message;
            Console.Error.WriteLine($"smolmix-httpclientfactory: request failed: {why}");
            Environment.ExitCode = 1;
        }
        finally
        {
            lifetime.StopApplication();
        }
    }
}
