namespace Smolmix.Wire;

/// <summary>One SACK block: bytes [Left, Right) in sequence space (RFC 2018).</summary>
internal readonly record struct SackBlock(uint Left, uint Right);
