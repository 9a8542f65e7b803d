namespace Smolmix.Wire;

/// <summary>
/// Receives one fragment produced by <see cref="Fragmenter"/>. The span is only valid during the call:
/// copy it to keep it.
/// </summary>
/// <param name="fragment">A whole IP packet carrying one fragment.</param>
internal delegate void FragmentSink(ReadOnlySpan<byte> fragment);
