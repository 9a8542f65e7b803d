namespace Smolmix.Wire;

/// <summary>A run of fragment data held for reassembly: <see cref="Data"/> at byte <see cref="Offset"/>.</summary>
/// <param name="Offset">Offset of the first byte within the fragmentable part.</param>
/// <param name="Data">The bytes (an exact-length copy).</param>
internal readonly record struct FragmentPiece(int Offset, byte[] Data)
{
    /// <summary>One past the last byte.</summary>
    public int End => Offset + Data.Length;
}
