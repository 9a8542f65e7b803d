namespace Smolmix.Tests.Nym;

internal static class TestBytes
{
    /// <summary>Concatenates hex strings (case-insensitive, spaces ignored).</summary>
    public static byte[] Hex(params string[] parts) => Convert.FromHexString(string.Concat(parts).Replace(" ", string.Empty, StringComparison.Ordinal));

    public static string Repeat(string hexByte, int count) => string.Concat(Enumerable.Repeat(hexByte, count));

    public static string ToHex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    public static void Equal(string expectedHex, ReadOnlySpan<byte> actual) => Assert.Equal(expectedHex.ToLowerInvariant().Replace(" ", string.Empty, StringComparison.Ordinal), ToHex(actual));

    /// <summary>Asserts that every strict prefix of <paramref name="valid"/> is rejected with <see cref="Smolmix.Nym.NymProtocolException"/>.</summary>
    public static void EveryPrefixRejected(byte[] valid, Action<ReadOnlyMemory<byte>> decode)
    {
        for (int length = 0; length < valid.Length; length++)
        {
            byte[] prefix = valid[..length];
            var ex = Record.Exception(() => decode(prefix));
            Assert.True(ex is Smolmix.Nym.NymProtocolException, $"Prefix of length {length} of {valid.Length}: expected NymProtocolException, got {ex?.GetType().Name ?? "no exception"}");
        }
    }
}
