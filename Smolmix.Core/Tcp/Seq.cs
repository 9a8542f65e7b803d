namespace Smolmix.Tcp;

/// <summary>Sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4).</summary>
internal static class Seq
{
    /// <summary>a &lt; b.</summary>
    public static bool Lt(uint a, uint b) => (int)(a - b) < 0;

    /// <summary>a ≤ b.</summary>
    public static bool Le(uint a, uint b) => (int)(a - b) <= 0;

    /// <summary>a &gt; b.</summary>
    public static bool Gt(uint a, uint b) => (int)(a - b) > 0;

    /// <summary>a ≥ b.</summary>
    public static bool Ge(uint a, uint b) => (int)(a - b) >= 0;

    /// <summary>The later of two sequence numbers.</summary>
    public static uint Max(uint a, uint b) => Gt(a, b) ? a : b;

    /// <summary>The earlier of two sequence numbers.</summary>
    public static uint Min(uint a, uint b) => Lt(a, b) ? a : b;

    /// <summary>Signed distance b − a.</summary>
    public static int Diff(uint a, uint b) => (int)(b - a);

    /// <summary>lo ≤ x &lt; hi.</summary>
    public static bool InRange(uint x, uint lo, uint hi) => Le(lo, x) && Lt(x, hi);
}
