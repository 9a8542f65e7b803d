using Microsoft.Extensions.Logging;

namespace Smolmix.Dns.Resolver;

/// <summary>What every exchange needs: the network to send through, the settings, the counters, the log and the clock.</summary>
internal sealed record ResolverContext(IVirtualNetwork Network, TunnelResolverOptions Options, ResolverMetrics Metrics, ILogger Logger)
{
    public TimeProvider Time => Options.TimeProvider;
}
