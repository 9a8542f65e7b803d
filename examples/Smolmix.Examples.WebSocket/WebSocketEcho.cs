using System.Buffers;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Smolmix.Echo;

/// <summary>
/// A WebSocket echo endpoint for Kestrel (also compiled into tests/Smolmix.Http.Tests): each message
/// comes back whole, with its type; a close is answered with the same status. The handshake response
/// carries <c>x-protocol</c> (the HTTP version of the upgrade or extended CONNECT).
/// </summary>
public static class WebSocketEcho
{
    /// <summary>Largest message echoed; a bigger one closes the socket with MessageTooBig.</summary>
    public const int MaxMessage = 16 * 1024 * 1024;

    /// <summary>Adds <c>UseWebSockets</c> and the echo at <paramref name="path"/>.</summary>
    public static WebApplication MapWebSocketEcho(this WebApplication app, string path = "/ws")
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseWebSockets();
        app.Map(path, EchoAsync);
        return app;
    }

    private static async Task EchoAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        context.Response.Headers["x-protocol"] = context.Request.Protocol;
        using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        CancellationToken aborted = context.RequestAborted;
        var message = new ArrayBufferWriter<byte>(64 * 1024);
        try
        {
            while (true)
            {
                ValueWebSocketReceiveResult result = await socket.ReceiveAsync(message.GetMemory(16 * 1024), aborted).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, socket.CloseStatusDescription, aborted).ConfigureAwait(false);
                    return;
                }

                message.Advance(result.Count);
                if (message.WrittenCount > MaxMessage)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.MessageTooBig, "too big", aborted).ConfigureAwait(false);
                    return;
                }

                if (result.EndOfMessage)
                {
                    await socket.SendAsync(message.WrittenMemory, result.MessageType, endOfMessage: true, aborted).ConfigureAwait(false);
                    message.ResetWrittenCount();
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            // The client went away; nothing to answer.
        }
    }
}
