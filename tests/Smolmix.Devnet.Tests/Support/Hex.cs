namespace Smolmix.Devnet.Tests.Support;

internal static class Hex
{
    /// <summary>2024-01-01T12:59:59.5Z, the spec's timestamp vector.</summary>
    public const string TS = "fb0fd0010c3b3bfc1dcd6500000000";

    public static readonly Nym.NymTimestamp Timestamp = Nym.NymTimestamp.FromDateTimeOffset(new DateTimeOffset(2024, 1, 1, 12, 59, 59, 500, TimeSpan.Zero));

    public static byte[] Bytes(params string[] parts) => Convert.FromHexString(string.Concat(parts).Replace(" ", string.Empty, StringComparison.Ordinal));

    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    public static void Equal(string expected, ReadOnlySpan<byte> actual)
        => Assert.Equal(expected.ToLowerInvariant().Replace(" ", string.Empty, StringComparison.Ordinal), Of(actual));
}
