using System.Numerics;

namespace Smolmix.Nym;

/// <summary>
/// Checks that 32 bytes are a compressed Edwards25519 point, as ed25519-dalek's
/// <c>VerifyingKey::from_bytes</c> does: the y coordinate (high bit masked, reduced mod p) must
/// have a matching x, i.e. (y² − 1) / (d·y² + 1) must be a square mod p (or zero).
/// </summary>
internal static class Ed25519PublicKey
{
    /// <summary>The length of a public key in bytes.</summary>
    public const int Length = 32;

    private static readonly BigInteger P = BigInteger.Pow(2, 255) - 19;

    private static readonly BigInteger D = Mod(-121665 * BigInteger.ModPow(121666, P - 2, P));

    private static readonly BigInteger Half = (P - 1) / 2;

    /// <summary>Returns true when <paramref name="key"/> decompresses to a curve point.</summary>
    public static bool IsValid(ReadOnlySpan<byte> key)
    {
        if (key.Length != Length)
        {
            return false;
        }

        Span<byte> y = stackalloc byte[Length];
        key.CopyTo(y);
        y[31] &= 0x7F;
        BigInteger yValue = Mod(new BigInteger(y, isUnsigned: true, isBigEndian: false));
        BigInteger ySquared = yValue * yValue % P;
        BigInteger u = Mod(ySquared - 1);
        if (u.IsZero)
        {
            return true;
        }

        BigInteger v = Mod((D * ySquared) + 1);
        BigInteger ratio = u * BigInteger.ModPow(v, P - 2, P) % P;
        return BigInteger.ModPow(ratio, Half, P).IsOne;
    }

    private static BigInteger Mod(BigInteger value)
    {
        BigInteger r = value % P;
        return r.Sign < 0 ? r + P : r;
    }
}
