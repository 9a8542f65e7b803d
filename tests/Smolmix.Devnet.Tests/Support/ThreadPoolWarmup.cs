using System.Runtime.CompilerServices;

namespace Smolmix.Devnet.Tests.Support;

/// <summary>
/// Raises the thread pool's minimum before any test runs. The test host keeps pool threads blocked
/// for its whole life (vstest's socket message loop polls synchronously, the xunit adapter waits
/// synchronously for the assembly run), so on a 2-core machine only about one pool thread is left
/// for the code under test, and every burst of work waits ~0.5–1 s for the pool to inject a thread.
/// Seen as second-long stalls with zero retransmissions in the end-to-end transfers.
/// </summary>
internal static class ThreadPoolWarmup
{
    [ModuleInitializer]
    internal static void Initialize()
    {
        ThreadPool.GetMinThreads(out int workers, out int io);
        ThreadPool.SetMinThreads(Math.Max(workers, 16), Math.Max(io, 16));
    }
}
