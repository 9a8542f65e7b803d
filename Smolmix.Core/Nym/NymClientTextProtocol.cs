using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Smolmix.Nym;

/// <summary>
/// nym-client's text (JSON) WebSocket protocol, for completeness and diagnostics. Smolmix never
/// uses it for traffic: message bodies are strings, so binary payloads do not survive (nym-client
/// converts received bytes to UTF-8 lossily), and ClosedConnection/GetLaneQueueLength have no
/// text form. Connection id 0 (none) is written as null.
/// </summary>
internal static class NymClientTextProtocol
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Encodes a request as JSON.</summary>
    /// <exception cref="NotSupportedException">The request has no text form.</exception>
    /// <exception cref="ArgumentException">The message is not valid UTF-8.</exception>
    public static string EncodeRequest(NymClientRequest request) => Write(writer =>
    {
        switch (request)
        {
            case NymClientRequest.Send send:
                writer.WriteString("type", "send");
                writer.WriteString("message", Text(send.Message));
                writer.WriteString("recipient", send.Recipient.ToString());
                WriteConnectionId(writer, send.ConnectionId);
                break;
            case NymClientRequest.SendAnonymous anonymous:
                writer.WriteString("type", "sendAnonymous");
                writer.WriteString("recipient", anonymous.Recipient.ToString());
                writer.WriteString("message", Text(anonymous.Message));
                writer.WriteNumber("replySurbs", anonymous.ReplySurbs);
                WriteConnectionId(writer, anonymous.ConnectionId);
                break;
            case NymClientRequest.Reply reply:
                writer.WriteString("type", "reply");
                writer.WriteString("senderTag", reply.SenderTag.ToString());
                writer.WriteString("message", Text(reply.Message));
                WriteConnectionId(writer, reply.ConnectionId);
                break;
            case NymClientRequest.SelfAddress:
                writer.WriteString("type", "selfAddress");
                break;
            default:
                throw new NotSupportedException($"{request.GetType().Name} has no text form.");
        }
    });

    /// <summary>Decodes a JSON request.</summary>
    /// <exception cref="NymProtocolException">The JSON is malformed or not a known request.</exception>
    public static NymClientRequest DecodeRequest(string json) => Read<NymClientRequest>(json, root => GetString(root, "type") switch
    {
        "send" => new NymClientRequest.Send(GetAddress(root, "recipient"), Bytes(GetString(root, "message")), GetConnectionId(root)),
        "sendAnonymous" => new NymClientRequest.SendAnonymous(GetAddress(root, "recipient"), Bytes(GetString(root, "message")), GetUInt32(root, "replySurbs"), GetConnectionId(root)),
        "reply" => new NymClientRequest.Reply(GetSenderTag(root, "senderTag") ?? throw new NymProtocolException("A reply needs a sender tag."), Bytes(GetString(root, "message")), GetConnectionId(root)),
        "selfAddress" => new NymClientRequest.SelfAddress(),
        var type => throw new NymProtocolException($"Unknown text request type '{type}'."),
    });

    /// <summary>Encodes a response as JSON; an error becomes <c>"Kind:message"</c>.</summary>
    /// <param name="response">The response.</param>
    /// <param name="lossyMessages">Decode received messages as UTF-8 lossily (as nym-client's server side does)
    /// instead of rejecting invalid UTF-8.</param>
    /// <param name="describeError">The text for an error kind (default: the enum name).</param>
    /// <exception cref="ArgumentException">A received message is not valid UTF-8 (and <paramref name="lossyMessages"/> is false).</exception>
    public static string EncodeResponse(NymClientResponse response, bool lossyMessages = false, Func<NymClientErrorKind, string>? describeError = null) => Write(writer =>
    {
        switch (response)
        {
            case NymClientResponse.Received received:
                writer.WriteString("type", "received");
                writer.WriteString("message", lossyMessages ? Encoding.UTF8.GetString(received.Message.Span) : Text(received.Message));
                if (received.SenderTag is { } tag)
                {
                    writer.WriteString("senderTag", tag.ToString());
                }
                else
                {
                    writer.WriteNull("senderTag");
                }

                break;
            case NymClientResponse.SelfAddress self:
                writer.WriteString("type", "selfAddress");
                writer.WriteString("address", self.Address.ToString());
                break;
            case NymClientResponse.LaneQueueLength lane:
                writer.WriteString("type", "laneQueueLength");
                writer.WriteNumber("lane", lane.Lane);
                writer.WriteNumber("queue_length", lane.QueueLength);
                break;
            case NymClientResponse.Error error:
                writer.WriteString("type", "error");
                writer.WriteString("message", $"{describeError?.Invoke(error.Kind) ?? error.Kind.ToString()}:{error.Message}");
                break;
            default:
                throw new NotSupportedException($"{response.GetType().Name} has no text form.");
        }
    });

    /// <summary>
    /// Decodes a JSON response. A text error carries only a description, so it decodes as
    /// <see cref="NymClientErrorKind.Other"/> with the whole text.
    /// </summary>
    /// <exception cref="NymProtocolException">The JSON is malformed or not a known response.</exception>
    public static NymClientResponse DecodeResponse(string json) => Read<NymClientResponse>(json, root => GetString(root, "type") switch
    {
        "received" => new NymClientResponse.Received(GetSenderTag(root, "senderTag"), Bytes(GetString(root, "message"))),
        "selfAddress" => new NymClientResponse.SelfAddress(GetAddress(root, "address")),
        "laneQueueLength" => new NymClientResponse.LaneQueueLength(GetUInt64(root, "lane"), GetUInt64(root, "queue_length")),
        "error" => new NymClientResponse.Error(NymClientErrorKind.Other, GetString(root, "message")),
        var type => throw new NymProtocolException($"Unknown text response type '{type}'."),
    });

    private static string Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static T Read<T>(string json, Func<JsonElement, T> body)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new NymProtocolException("A text message must be a JSON object.");
            }

            return body(document.RootElement);
        }
        catch (JsonException ex)
        {
            throw new NymProtocolException("Malformed JSON from the text protocol.", ex);
        }
    }

    private static void WriteConnectionId(Utf8JsonWriter writer, ulong connectionId)
    {
        if (connectionId == 0)
        {
            writer.WriteNull("connectionId");
        }
        else
        {
            writer.WriteNumber("connectionId", connectionId);
        }
    }

    private static string Text(ReadOnlyMemory<byte> message)
    {
        try
        {
            return StrictUtf8.GetString(message.Span);
        }
        catch (DecoderFallbackException ex)
        {
            throw new ArgumentException("The text protocol only carries UTF-8 messages.", nameof(message), ex);
        }
    }

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static JsonElement Get(JsonElement root, string name)
        => root.TryGetProperty(name, out JsonElement value) ? value : throw new NymProtocolException($"Missing field '{name}'.");

    private static string GetString(JsonElement root, string name)
    {
        JsonElement value = Get(root, name);
        return value.ValueKind == JsonValueKind.String ? value.GetString()! : throw new NymProtocolException($"Field '{name}' must be a string.");
    }

    private static ulong GetUInt64(JsonElement root, string name)
        => Get(root, name) is { ValueKind: JsonValueKind.Number } value && value.TryGetUInt64(out ulong result)
            ? result
            : throw new NymProtocolException($"Field '{name}' must be an unsigned integer.");

    private static uint GetUInt32(JsonElement root, string name)
        => Get(root, name) is { ValueKind: JsonValueKind.Number } value && value.TryGetUInt32(out uint result)
            ? result
            : throw new NymProtocolException($"Field '{name}' must be a u32.");

    private static ulong GetConnectionId(JsonElement root)
        => !root.TryGetProperty("connectionId", out JsonElement value) || value.ValueKind == JsonValueKind.Null ? 0 : GetUInt64(root, "connectionId");

    private static NymAddress GetAddress(JsonElement root, string name)
        => NymAddress.TryParse(GetString(root, name), out NymAddress? address) ? address : throw new NymProtocolException($"Field '{name}' is not a Nym address.");

    private static SenderTag? GetSenderTag(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return SenderTag.TryParse(GetString(root, name), out SenderTag tag) ? tag : throw new NymProtocolException($"Field '{name}' is not a base58 sender tag.");
    }
}
