namespace Smolmix.Tests.Nym;

/// <summary>Test vectors from docs/ipr-protocol.md §6.</summary>
internal static class Vectors
{
    /// <summary>2024-01-01T12:59:59.5Z.</summary>
    public const string TS = "fb0fd0010c3b3bfc1dcd6500000000";

    public const string MockRecipient = "5WdCMZXZBkGsXwPqzxwJqf9sSzyRLt3xmhuGDBaXiQh5.7nFB8HqKM9jxExRkfhUoLb6oo2LSCDDesP5uuXH5iWY1@3yv4qTKVxC5Vqgtshzkcm8nT1q9zeETnj3RMDiaREeB5";

    public const string D1rr = "D1rrpsysCGCYXy9saP8y3kmNpGtJZUXN9SvFoUcqAsM9.9Ssso1ea5NfkbMASdiseDSjTN1fSWda5SgEVjdSN4CvV@GJqd3ZxpXWSNxTfx7B1pPtswpetH4LnJdFeLeuY5KUuN";

    public const string R = "b2849e728e3eb226d2d864963f8ca9f5ec81c92558a9f263bdbea29d34edf8a07d7e8a80c987c261bd435fda2099b1d714cc6c46f404b54b82c2fc92a67e6612e371277338835b77367d464fc87d5cbe735b44c29cca0ae3633ca54d92733e99";

    public const string CytB = "CytBseW6yFXUMzz4SGAKdNLGR7q3sJLLYxyBGvutNEQV.4QXYyEVc5fUDjmmi8PrHN9tdUFV4PCvSJE1278cHyvoe@4sBbL1ngf1vtNqykydQKTFh26sQCw888GpUqvPvyNB4f";

    public const string W = "b202f5983ab6ad7e78b5237d005ff4887689be9a2341179b05d382cf80f1dade3299f6b78e8a0bce4daa9fcca3f93204da56a5d5132ee4d484cec3c9927cb965396e13d61e2bc32b6353a31da0c34dcc1545f93bab112ce63d9a2c1d0327a724";

    public static readonly Smolmix.Nym.NymTimestamp Timestamp = Smolmix.Nym.NymTimestamp.FromDateTimeOffset(new DateTimeOffset(2024, 1, 1, 12, 59, 59, 500, TimeSpan.Zero));
}
