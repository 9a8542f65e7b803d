using Microsoft.Extensions.Logging;

namespace Smolmix;

/// <summary>Log events of <see cref="NetStack"/> (event ids 1301–1399; see docs/DIAGNOSTICS.md).</summary>
internal static partial class StackLog
{
    [LoggerMessage(EventId = 1301, Level = LogLevel.Debug, Message = "Device read loop ended")]
    public static partial void ReadLoopEnded(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Warning, Message = "The packet device closed; failing every socket on the stack")]
    public static partial void DeviceClosed(ILogger logger, Exception? cause);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Debug, Message = "Packet processing failed")]
    public static partial void ProcessingFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1304, Level = LogLevel.Debug, Message = "Device write loop ended")]
    public static partial void WriteLoopEnded(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1305, Level = LogLevel.Debug, Message = "Device read loop did not stop within 5 s")]
    public static partial void ReadLoopStuck(ILogger logger);
}
