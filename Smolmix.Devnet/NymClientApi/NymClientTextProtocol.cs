using System.Text;
using System.Text.Json;
using Smolmix.Nym;

namespace Smolmix.Devnet.NymClientApi;

/// <summary>
/// nym-client's text (JSON) WebSocket protocol: requests tagged by <c>"type"</c> (send,
/// sendAnonymous, reply, selfAddress) and the matching responses. Message bodies are strings:
/// requests send their UTF-8 bytes, and received messages are decoded lossily, as nym-client does.
/// </summary>
internal static class NymClientTextProtocol
{
    /// <summary>Parses a text request. Returns null with an error kind and text when it is invalid.</summary>
    public static NymClientRequest? Parse(string json, out NymClientErrorKind errorKind, out string? error)
    {
        errorKind = NymClientErrorKind.MalformedRequest;
        error = null;
        if (string.IsNullOrWhiteSpace(json))
        {
            errorKind = NymClientErrorKind.EmptyRequest;
            error = "the received request is empty";
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out JsonElement type) || type.ValueKind != JsonValueKind.String)
            {
                error = "a request is a JSON object with a string \"type\"";
                return null;
            }

            switch (type.GetString())
            {
                case "selfAddress":
                    return new NymClientRequest.SelfAddress();

                case "send":
                    return new NymClientRequest.Send(Recipient(root), Message(root), ConnectionId(root));

                case "sendAnonymous":
                    uint surbs = root.TryGetProperty("replySurbs", out JsonElement count) ? count.GetUInt32() : throw new FormatException("missing \"replySurbs\"");
                    return new NymClientRequest.SendAnonymous(Recipient(root), Message(root), surbs, ConnectionId(root));

                case "reply":
                    string tagText = root.TryGetProperty("senderTag", out JsonElement tagElement) ? tagElement.GetString() ?? string.Empty : throw new FormatException("missing \"senderTag\"");
                    if (!SenderTag.TryParse(tagText, out SenderTag tag))
                    {
                        throw new FormatException("\"senderTag\" is not a base58 sender tag");
                    }

                    return new NymClientRequest.Reply(tag, Message(root), ConnectionId(root));

                default:
                    errorKind = NymClientErrorKind.UnknownRequest;
                    error = $"unknown request type \"{type.GetString()}\"";
                    return null;
            }
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
        {
            error = ex.Message;
            return null;
        }
    }

    /// <summary>Encodes a response as JSON text: received messages decoded lossily, errors with nym-client's texts.</summary>
    public static string Encode(NymClientResponse response)
        => Smolmix.Nym.NymClientTextProtocol.EncodeResponse(response, lossyMessages: true, describeError: Describe);

    /// <summary>The text nym-client uses for an error kind.</summary>
    public static string Describe(NymClientErrorKind kind) => kind switch
    {
        NymClientErrorKind.EmptyRequest => "empty request",
        NymClientErrorKind.TooShortRequest => "too short request",
        NymClientErrorKind.UnknownRequest => "unknown request",
        NymClientErrorKind.MalformedRequest => "malformed request",
        NymClientErrorKind.EmptyResponse => "empty response",
        NymClientErrorKind.TooShortResponse => "too short response",
        NymClientErrorKind.UnknownResponse => "unknown response",
        NymClientErrorKind.MalformedResponse => "malformed response",
        _ => "other",
    };

    private static NymAddress Recipient(JsonElement root)
    {
        string text = root.TryGetProperty("recipient", out JsonElement recipient) ? recipient.GetString() ?? string.Empty : throw new FormatException("missing \"recipient\"");
        return NymAddress.TryParse(text, out NymAddress? address) ? address : throw new FormatException("\"recipient\" is not a Nym address");
    }

    private static byte[] Message(JsonElement root)
        => root.TryGetProperty("message", out JsonElement message) ? Encoding.UTF8.GetBytes(message.GetString() ?? string.Empty) : throw new FormatException("missing \"message\"");

    private static ulong ConnectionId(JsonElement root)
        => root.TryGetProperty("connectionId", out JsonElement id) && id.ValueKind != JsonValueKind.Null ? id.GetUInt64() : 0;
}
