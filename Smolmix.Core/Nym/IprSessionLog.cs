using Microsoft.Extensions.Logging;

namespace Smolmix.Nym;

/// <summary>Log events of <see cref="IprSession"/> (event ids 1201–1299; see docs/DIAGNOSTICS.md). Exit addresses and destinations only at Debug.</summary>
internal static partial class IprSessionLog
{
    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "The exit answered the disconnect with {Failure}.")]
    public static partial void DisconnectAnswered(ILogger logger, object failure);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Warning, Message = "The IPR session's receive loop did not stop in time.")]
    public static partial void ReceiveLoopStuck(ILogger logger);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Information, Message = "No v{Version} connect reply within {Timeout}; trying the next version.")]
    public static partial void VersionTimedOut(ILogger logger, int version, TimeSpan timeout);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Information, Message = "Connected to the exit with v{Version}, MTU {Mtu}.")]
    public static partial void Connected(ILogger logger, int version, int mtu);

    [LoggerMessage(EventId = 1205, Level = LogLevel.Debug, Message = "Exit {Exit} allocated {Ipv4} / {Ipv6}.")]
    public static partial void Allocated(ILogger logger, object exit, object ipv4, object? ipv6);

    [LoggerMessage(EventId = 1206, Level = LogLevel.Information, Message = "The exit answered the v{Version} connect with {Info}; trying the next version.")]
    public static partial void VersionRefused(ILogger logger, int version, string info);

    [LoggerMessage(EventId = 1207, Level = LogLevel.Warning, Message = "The IPR session lost its nym-client connection.")]
    public static partial void ConnectionLost(ILogger logger, Exception? failure);

    [LoggerMessage(EventId = 1208, Level = LogLevel.Debug, Message = "Ignoring a message that is not a valid IPR response.")]
    public static partial void InvalidResponse(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1209, Level = LogLevel.Debug, Message = "Ignoring a frame for stream {Stream:x16}.")]
    public static partial void ForeignStream(ILogger logger, ulong stream);

    [LoggerMessage(EventId = 1210, Level = LogLevel.Debug, Message = "Ignoring a v{Got} reply to a v{Expected} request.")]
    public static partial void VersionMismatch(ILogger logger, int got, int expected);

    [LoggerMessage(EventId = 1211, Level = LogLevel.Debug, Message = "Ignoring a v{Version} {Type} outside the session.")]
    public static partial void OutsideSession(ILogger logger, int version, string type);

    [LoggerMessage(EventId = 1212, Level = LogLevel.Debug, Message = "A bundle from the exit ended with a truncated record.")]
    public static partial void TruncatedBundle(ILogger logger);

    [LoggerMessage(EventId = 1213, Level = LogLevel.Warning, Message = "The exit ended the session: {Reason} {Detail}")]
    public static partial void SessionEnded(ILogger logger, object reason, object? detail);

    [LoggerMessage(EventId = 1214, Message = "The exit reports {Kind}.")]
    public static partial void Notice(ILogger logger, LogLevel level, string kind);

    [LoggerMessage(EventId = 1215, Level = LogLevel.Debug, Message = "The exit reports {Reply}.")]
    public static partial void NoticeDetail(ILogger logger, object reply);

    [LoggerMessage(EventId = 1216, Level = LogLevel.Debug, Message = "Ignoring an unsolicited {Type}.")]
    public static partial void Unsolicited(ILogger logger, string type);
}
