using System.Buffers.Binary;

namespace Smolmix.Nym;

/// <summary>
/// The 16-byte AnonymousSenderTag a Nym client attaches to repliable messages; the receiver
/// answers through reply SURBs addressed by this tag. Its text form is base58.
/// </summary>
/// <param name="Value">The tag's bytes, read big-endian.</param>
internal readonly record struct SenderTag(UInt128 Value)
{
    /// <summary>The length of a tag in bytes.</summary>
    public const int Length = 16;

    /// <summary>Reads a tag from exactly 16 bytes.</summary>
    /// <exception cref="NymProtocolException">The input is not 16 bytes.</exception>
    public static SenderTag FromBytes(ReadOnlySpan<byte> bytes)
        => bytes.Length == Length
            ? new SenderTag(BinaryPrimitives.ReadUInt128BigEndian(bytes))
            : throw new NymProtocolException($"A sender tag is {Length} bytes, got {bytes.Length}.");

    /// <summary>Parses the base58 form, which must decode to exactly 16 bytes.</summary>
    public static bool TryParse(string? text, out SenderTag tag)
    {
        tag = default;
        if (text is null || !Base58.TryDecodeExact(text, Length, out byte[] bytes))
        {
            return false;
        }

        tag = FromBytes(bytes);
        return true;
    }

    /// <summary>Writes the 16 bytes.</summary>
    public void CopyTo(Span<byte> destination) => BinaryPrimitives.WriteUInt128BigEndian(destination, Value);

    /// <summary>Returns the 16 bytes.</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[Length];
        CopyTo(bytes);
        return bytes;
    }

    /// <summary>The base58 form.</summary>
    public override string ToString() => Base58.Encode(ToArray());
}
