namespace Smolmix.Examples.HttpClientFactory;

/// <summary>What the worker fetches: the base address, and whether it is the local demo server (which has /hello and /time).</summary>
internal sealed record WorkerSettings(Uri BaseAddress, bool DemoServer, TimeSpan Timeout);
