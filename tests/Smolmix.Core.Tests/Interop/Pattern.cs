namespace Smolmix.Tests.Interop;

/// <summary>A deterministic pseudo-random byte stream with a period (4 MiB + 7) that no TCP chunking lines up with.</summary>
internal sealed class Pattern
{
    private const int Period = (4 << 20) + 7;
    private readonly byte[] _bytes = new byte[Period + (256 * 1024)];

    public static readonly Pattern Instance = new();

    private Pattern()
    {
        new Random(20240607).NextBytes(_bytes.AsSpan(0, Period));
        _bytes.AsSpan(0, _bytes.Length - Period).CopyTo(_bytes.AsSpan(Period));
    }

    /// <summary>The <paramref name="length"/> (≤ 256 KiB) bytes at stream offset <paramref name="offset"/>.</summary>
    public ReadOnlyMemory<byte> Chunk(long offset, int length) => _bytes.AsMemory((int)(offset % Period), length);
}
