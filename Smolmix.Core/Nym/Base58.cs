namespace Smolmix.Nym;

/// <summary>
/// Base58 with the Bitcoin alphabet and no checksum, as used by Nym for keys, addresses and
/// sender tags. Leading zero bytes map to leading '1' characters.
/// </summary>
internal static class Base58
{
    private const string Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

    private static readonly sbyte[] DecodeMap = BuildDecodeMap();

    /// <summary>Encodes bytes as base58.</summary>
    public static string Encode(ReadOnlySpan<byte> data)
    {
        int zeros = 0;
        while (zeros < data.Length && data[zeros] == 0)
        {
            zeros++;
        }

        // log(256)/log(58) ~= 1.366; digits are stored little-endian in base 58.
        int capacity = ((data.Length - zeros) * 138 / 100) + 1;
        Span<byte> digits = capacity <= 256 ? stackalloc byte[capacity] : new byte[capacity];
        int length = 0;
        for (int i = zeros; i < data.Length; i++)
        {
            int carry = data[i];
            for (int j = 0; j < length; j++)
            {
                carry += digits[j] << 8;
                digits[j] = (byte)(carry % 58);
                carry /= 58;
            }

            while (carry > 0)
            {
                digits[length++] = (byte)(carry % 58);
                carry /= 58;
            }
        }

        var chars = new char[zeros + length];
        chars.AsSpan(0, zeros).Fill('1');
        for (int i = 0; i < length; i++)
        {
            chars[zeros + i] = Alphabet[digits[length - 1 - i]];
        }

        return new string(chars);
    }

    /// <summary>Decodes base58 text; returns false on an empty string or a character outside the alphabet.</summary>
    public static bool TryDecode(ReadOnlySpan<char> text, out byte[] bytes)
    {
        bytes = [];
        if (text.IsEmpty)
        {
            return false;
        }

        int zeros = 0;
        while (zeros < text.Length && text[zeros] == '1')
        {
            zeros++;
        }

        // log(58)/log(256) ~= 0.733; bytes stored little-endian.
        int capacity = ((text.Length - zeros) * 733 / 1000) + 1;
        Span<byte> value = capacity <= 256 ? stackalloc byte[capacity] : new byte[capacity];
        int length = 0;
        for (int i = zeros; i < text.Length; i++)
        {
            char c = text[i];
            int digit = c < 128 ? DecodeMap[c] : -1;
            if (digit < 0)
            {
                return false;
            }

            int carry = digit;
            for (int j = 0; j < length; j++)
            {
                carry += value[j] * 58;
                value[j] = (byte)carry;
                carry >>= 8;
            }

            while (carry > 0)
            {
                value[length++] = (byte)carry;
                carry >>= 8;
            }
        }

        bytes = new byte[zeros + length];
        for (int i = 0; i < length; i++)
        {
            bytes[zeros + i] = value[length - 1 - i];
        }

        return true;
    }

    /// <summary>Decodes base58 text that must hold exactly <paramref name="expectedLength"/> bytes.</summary>
    public static bool TryDecodeExact(ReadOnlySpan<char> text, int expectedLength, out byte[] bytes)
    {
        if (!TryDecode(text, out bytes) || bytes.Length != expectedLength)
        {
            bytes = [];
            return false;
        }

        return true;
    }

    private static sbyte[] BuildDecodeMap()
    {
        var map = new sbyte[128];
        Array.Fill(map, (sbyte)-1);
        for (int i = 0; i < Alphabet.Length; i++)
        {
            map[Alphabet[i]] = (sbyte)i;
        }

        return map;
    }
}
