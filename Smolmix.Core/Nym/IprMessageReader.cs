namespace Smolmix.Nym;

/// <summary>An IPR message together with the LP stream it arrived on, if any.</summary>
/// <typeparam name="T">The request or response type.</typeparam>
/// <param name="Message">The decoded message.</param>
/// <param name="StreamId">The LP stream id, or null for a raw (v8) message.</param>
/// <param name="Sequence">The LP sequence number (0 for raw messages).</param>
internal readonly record struct IprEnvelope<T>(T Message, ulong? StreamId, uint Sequence);

/// <summary>
/// Turns whole mixnet messages into IPR messages the way the exit does: a message of at least
/// 16 bytes whose first two bytes are 3 (little-endian) is an LP stream frame whose payload is
/// the IPR message; anything else is a raw message. v9 and later must be framed and v8 must not.
/// </summary>
internal static class IprMessageReader
{
    /// <summary>
    /// Reads a message from the exit. Returns false for a frame with an empty payload (an Open
    /// frame), which carries no IPR message.
    /// </summary>
    /// <param name="message">The whole mixnet message.</param>
    /// <param name="envelope">The response and its stream, when the method returns true.</param>
    /// <param name="tolerateV10WithoutMtu">Accept a v10 connect success that lacks the MTU field (as some exits send), reporting no MTU.</param>
    /// <exception cref="NymProtocolException">The message is malformed or breaks the framing rule.</exception>
    public static bool TryReadResponse(ReadOnlyMemory<byte> message, out IprEnvelope<IprResponse> envelope, bool tolerateV10WithoutMtu = false)
    {
        envelope = default;
        if (!TryUnframe(message, out ReadOnlyMemory<byte> payload, out ulong? streamId, out uint sequence))
        {
            return false;
        }

        IprResponse response = IprResponse.Decode(payload, tolerateV10WithoutMtu);
        CheckFraming(response.Version, streamId.HasValue);
        envelope = new IprEnvelope<IprResponse>(response, streamId, sequence);
        return true;
    }

    /// <summary>
    /// Reads a message sent to an exit (used by fake exits and the devnet). Returns false for a
    /// frame with an empty payload, such as an Open frame.
    /// </summary>
    /// <exception cref="NymProtocolException">The message is malformed or breaks the framing rule.</exception>
    public static bool TryReadRequest(ReadOnlyMemory<byte> message, out IprEnvelope<IprRequest> envelope)
    {
        envelope = default;
        if (!TryUnframe(message, out ReadOnlyMemory<byte> payload, out ulong? streamId, out uint sequence))
        {
            return false;
        }

        IprRequest request = IprRequest.Decode(payload);
        CheckFraming(request.Version, streamId.HasValue);
        envelope = new IprEnvelope<IprRequest>(request, streamId, sequence);
        return true;
    }

    /// <summary>Encodes <paramref name="message"/> (already-encoded IPR bytes) for the wire: LP Data framed when <paramref name="streamId"/> is set.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> message, ulong? streamId, uint sequence)
    {
        if (streamId is not { } id)
        {
            return message.ToArray();
        }

        var bytes = new byte[LpFrame.HeaderLength + message.Length];
        LpFrame.WriteHeader(bytes, id, LpMessageType.Data, sequence);
        message.CopyTo(bytes.AsSpan(LpFrame.HeaderLength));
        return bytes;
    }

    private static bool TryUnframe(ReadOnlyMemory<byte> message, out ReadOnlyMemory<byte> payload, out ulong? streamId, out uint sequence)
    {
        if (LpFrame.TryDecode(message, out LpFrame frame))
        {
            payload = frame.Payload;
            streamId = frame.StreamId;
            sequence = frame.Sequence;
            return !payload.IsEmpty;
        }

        payload = message;
        streamId = null;
        sequence = 0;
        return true;
    }

    private static void CheckFraming(byte version, bool framed)
    {
        if (framed != IprVersion.RequiresStreamFraming(version))
        {
            throw new NymProtocolException(framed
                ? $"An LP stream frame carried a v{version} message; only v9 and later may be framed."
                : $"A raw v{version} message arrived; v9 and later must be LP-framed.");
        }
    }
}
