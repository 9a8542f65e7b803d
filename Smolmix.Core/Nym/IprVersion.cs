namespace Smolmix.Nym;

/// <summary>
/// IP packet router protocol versions this client speaks, and what each implies on the wire.
/// v8 is sent raw; v9 and v10 must travel inside LP SphinxStream frames; v10 adds the exit's
/// MTU to the connect-success reply.
/// </summary>
internal static class IprVersion
{
    /// <summary>Anonymous (sender-tag) requests, no LP framing.</summary>
    public const byte V8 = 8;

    /// <summary>Byte-identical to v8 but must be LP-framed.</summary>
    public const byte V9 = 9;

    /// <summary>v9 plus <c>mtu: u16</c> at the end of the connect-success reply.</summary>
    public const byte V10 = 10;

    /// <summary>Whether this client can decode and encode messages of <paramref name="version"/>.</summary>
    public static bool IsSupported(byte version) => version is V8 or V9 or V10;

    /// <summary>Whether messages of <paramref name="version"/> must be wrapped in LP frames.</summary>
    public static bool RequiresStreamFraming(byte version) => version >= V9;

    /// <summary>Whether the connect-success reply of <paramref name="version"/> carries the MTU.</summary>
    public static bool HasMtu(byte version) => version >= V10;
}
