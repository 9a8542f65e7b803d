using Microsoft.Extensions.Logging;

namespace Smolmix.Discovery;

/// <summary>Log events of exit discovery (event ids 1501–1599; see docs/DIAGNOSTICS.md).</summary>
internal static partial class DiscoveryLog
{
    [LoggerMessage(EventId = 1501, Level = LogLevel.Information, Message = "Discovered {Count} usable exits.")]
    public static partial void Discovered(ILogger logger, int count);

    [LoggerMessage(EventId = 1502, Level = LogLevel.Debug, Message = "Stopped reading {Path} after {Pages} pages.")]
    public static partial void PagesCapped(ILogger logger, string path, int pages);
}
