using System.Security.Cryptography;
using System.Text;

namespace Smolmix.Devnet.NymClientApi;

/// <summary>
/// The server side of the RFC 6455 opening handshake, by hand: read the HTTP/1.1 request head,
/// check it is a WebSocket upgrade, answer 101 with <c>Sec-WebSocket-Accept</c> (or 400).
/// nym-client accepts the upgrade on any path, and so does this.
/// </summary>
internal static class WebSocketHandshake
{
    /// <summary>The largest request head accepted.</summary>
    public const int MaxHeadLength = 16 * 1024;

    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>The <c>Sec-WebSocket-Accept</c> value for a client's key.</summary>
    public static string ComputeAccept(string key)
        => Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key.Trim() + AcceptGuid)));

    /// <summary>Reads the request head and answers it; returns true when the connection is now a WebSocket.</summary>
    /// <exception cref="IOException">The connection closed or the head is too large.</exception>
    public static async Task<bool> AcceptAsync(Stream stream, CancellationToken cancellationToken)
    {
        string head = await ReadHeadAsync(stream, cancellationToken).ConfigureAwait(false);
        string? error = Validate(head, out string? key);
        string response = error is null
            ? $"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {ComputeAccept(key!)}\r\n\r\n"
            : $"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: {Encoding.ASCII.GetByteCount(error)}\r\nConnection: close\r\n\r\n{error}";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(response), cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        return error is null;
    }

    /// <summary>Checks a request head; returns an error text, or null with the client's key.</summary>
    internal static string? Validate(string head, out string? key)
    {
        key = null;
        string[] lines = head.Split("\r\n");
        string[] requestLine = lines[0].Split(' ');
        if (requestLine.Length != 3 || requestLine[0] != "GET" || !requestLine[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            return "expected a GET request";
        }

        bool upgrade = false;
        bool connectionUpgrade = false;
        string? version = null;
        foreach (string line in lines.Skip(1))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            string name = line[..colon].Trim();
            string value = line[(colon + 1)..].Trim();
            if (name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase))
            {
                upgrade = value.Contains("websocket", StringComparison.OrdinalIgnoreCase);
            }
            else if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            {
                connectionUpgrade = value.Contains("upgrade", StringComparison.OrdinalIgnoreCase);
            }
            else if (name.Equals("Sec-WebSocket-Key", StringComparison.OrdinalIgnoreCase))
            {
                key = value;
            }
            else if (name.Equals("Sec-WebSocket-Version", StringComparison.OrdinalIgnoreCase))
            {
                version = value;
            }
        }

        if (!upgrade || !connectionUpgrade)
        {
            return "expected a WebSocket upgrade";
        }

        if (version != "13")
        {
            return "unsupported WebSocket version";
        }

        return string.IsNullOrEmpty(key) ? "missing Sec-WebSocket-Key" : null;
    }

    private static async Task<string> ReadHeadAsync(Stream stream, CancellationToken cancellationToken)
    {
        // Byte by byte: the client sends nothing after the head until it has the 101, so nothing
        // of the WebSocket stream can be read by mistake; the head is small.
        var bytes = new byte[MaxHeadLength];
        int count = 0;
        while (count < bytes.Length)
        {
            int read = await stream.ReadAsync(bytes.AsMemory(count, 1), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new IOException("The connection closed during the WebSocket handshake.");
            }

            count++;
            if (count >= 4 && bytes[count - 4] == '\r' && bytes[count - 3] == '\n' && bytes[count - 2] == '\r' && bytes[count - 1] == '\n')
            {
                return Encoding.ASCII.GetString(bytes, 0, count - 4);
            }
        }

        throw new IOException("The WebSocket handshake request is too large.");
    }
}
