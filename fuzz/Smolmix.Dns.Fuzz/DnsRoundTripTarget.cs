using Smolmix.Dns.Wire;

namespace Smolmix.Dns.Fuzz;

/// <summary>
/// The fuzz target: parse attacker bytes; when they parse, encode the message, parse that again and
/// require the same message and the same bytes on a second encoding. Malformed input may only raise
/// <see cref="DnsFormatException"/>; any other exception (or a <see cref="RoundTripException"/>) is a crash.
/// </summary>
internal static class DnsRoundTripTarget
{
    public static void Check(ReadOnlySpan<byte> input)
    {
        DnsMessage first;
        try
        {
            first = DnsMessage.Parse(input);
        }
        catch (DnsFormatException)
        {
            return;
        }

        byte[] encoded = first.Encode();
        DnsMessage second;
        try
        {
            second = DnsMessage.Parse(encoded);
        }
        catch (DnsFormatException ex)
        {
            throw new RoundTripException($"The codec's own encoding does not parse: {ex.Message} ({Convert.ToHexString(encoded)})");
        }

        string before = DnsMessageText.Of(first);
        string after = DnsMessageText.Of(second);
        if (before != after)
        {
            throw new RoundTripException($"Encode → parse changed the message:\n  {before}\n  {after}");
        }

        byte[] again = second.Encode();
        if (!again.AsSpan().SequenceEqual(encoded))
        {
            throw new RoundTripException($"A second encoding differs:\n  {Convert.ToHexString(encoded)}\n  {Convert.ToHexString(again)}");
        }

        byte[] truncated = first.EncodeTruncated(512);
        if (encoded.Length <= 512)
        {
            if (!truncated.AsSpan().SequenceEqual(encoded))
            {
                throw new RoundTripException("EncodeTruncated changed a message that fits.");
            }

            return;
        }

        DnsMessage header;
        try
        {
            header = DnsMessage.Parse(truncated);
        }
        catch (DnsFormatException ex)
        {
            throw new RoundTripException($"EncodeTruncated gave a message that does not parse: {ex.Message}");
        }

        if (!header.Truncated || header.Answers.Count + header.Authorities.Count + header.Additionals.Count != 0 || header.Questions.Count != first.Questions.Count)
        {
            throw new RoundTripException("EncodeTruncated did not set TC, kept records, or lost questions.");
        }
    }
}
