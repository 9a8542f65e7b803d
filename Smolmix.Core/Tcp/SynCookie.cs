namespace Smolmix.Tcp;

/// <summary>
/// The SYN cookie codec (RFC 4987 §3.6), laid out as Linux's: a listener whose half-open queue is full
/// answers a SYN with a SYN-ACK whose ISN encodes what it needs and keeps no state; the ACK that completes
/// the handshake (ISN + 1 in its acknowledgment number) is checked and the connection created from it.
/// <code>
/// ISN = H1(tuple) + peer ISN + (counter &lt;&lt; 24) + ((H2(tuple, counter) + data) mod 2^24)
/// data = MSS index (bits 0–1) | timestamps on (bit 2)
/// </code>
/// H1 and H2 are keyed hashes (the stack's secret); the counter ticks every 64 s and a cookie is valid for
/// three ticks (up to 192 s); the MSS index picks the largest entry of <see cref="MssTable"/> the peer's MSS
/// allows. A forged ACK passes with probability about 3/256 × 8/2^24 (about 2^-29), and only while the
/// listener has sent cookies recently.
/// <para>
/// The ISN has no room for window scaling and SACK. When the SYN carries timestamps they ride in the low
/// 6 bits of our SYN-ACK's TSval, which the ACK echoes: bits 0–3 the peer's window shift (15: none), bit 4
/// SACK permitted, bit 5 zero (Linux uses it for ECN, which this stack does not do). An ACK that lacks the
/// timestamps its cookie says were negotiated is dropped (RFC 7323 §3.2), since the options it should echo
/// cannot be known. Without timestamps the SYN-ACK offers neither window scaling nor SACK, so the connection
/// runs without them (64 KiB windows): a connection opened from a cookie is degraded only under a flood and
/// only for peers without timestamps (as in Linux).
/// </para>
/// </summary>
internal static class SynCookie
{
    /// <summary>
    /// MSS values a cookie can carry (2 bits), ascending: the minimum, IPv6's minimum MTU, this stack's own
    /// IPv6 MSS at its default MTU, Ethernet. The first also stands for anything smaller, as in Linux.
    /// </summary>
    public static readonly ushort[] MssTable = [536, 1220, 1360, 1460];

    /// <summary>The data bit that says the SYN carried timestamps.</summary>
    private const int TimestampsBit = 4;

    /// <summary>Microseconds per counter tick.</summary>
    public const long TickUs = 64_000_000;

    /// <summary>Ticks a cookie stays valid after the one it was made in.</summary>
    public const uint MaxAgeTicks = 2;

    /// <summary>How long after its last cookie a listener still checks ACKs for one (the longest a cookie lives).</summary>
    public const long LifetimeUs = (MaxAgeTicks + 1) * TickUs;

    /// <summary>Low TSval bits that carry the options.</summary>
    private const uint TsOptionMask = 0x3F;

    /// <summary>The window-shift value meaning "no window scaling".</summary>
    private const int NoWindowScale = 0xF;

    /// <summary>The counter at <paramref name="nowUs"/> (stack time).</summary>
    public static uint Counter(long nowUs) => (uint)(nowUs / TickUs);

    /// <summary>Index into <see cref="MssTable"/> for a peer that announced <paramref name="peerMss"/> (0: none, 536 then).</summary>
    public static int MssIndex(int peerMss)
    {
        int i = MssTable.Length - 1;
        while (i > 0 && peerMss < MssTable[i])
        {
            i--;
        }
        return i;
    }

    /// <summary>Builds the cookie ISN.</summary>
    /// <param name="h1">The tuple's keyed hash.</param>
    /// <param name="h2">The keyed hash of the tuple and <paramref name="counter"/>.</param>
    /// <param name="peerIsn">The SYN's sequence number.</param>
    /// <param name="counter">The current counter.</param>
    /// <param name="mssIndex">The MSS index (0–3).</param>
    /// <param name="timestamps">Whether the SYN carried timestamps (and the SYN-ACK does).</param>
    public static uint Encode(uint h1, uint h2, uint peerIsn, uint counter, int mssIndex, bool timestamps)
        => h1 + peerIsn + (counter << 24) + ((h2 + (uint)mssIndex + (timestamps ? TimestampsBit : 0u)) & 0xFFFFFF);

    /// <summary>
    /// The counter a cookie claims, if it is recent enough: the top 8 bits, read against the current counter
    /// (at most <see cref="MaxAgeTicks"/> old). The caller then checks the rest with <see cref="TryDecodeData"/>.
    /// </summary>
    public static bool TryGetCounter(uint cookie, uint h1, uint peerIsn, uint counterNow, out uint counter)
    {
        uint v = cookie - h1 - peerIsn;
        uint age = (counterNow - (v >> 24)) & 0xFF;
        counter = counterNow - age;
        return age <= MaxAgeTicks;
    }

    /// <summary>What a cookie carries, if its keyed part checks out for <paramref name="h2"/> (the hash for its counter).</summary>
    public static bool TryDecodeData(uint cookie, uint h1, uint h2, uint peerIsn, out int mssIndex, out bool timestamps)
    {
        uint v = cookie - h1 - peerIsn;
        uint data = ((v & 0xFFFFFF) - h2) & 0xFFFFFF;
        mssIndex = (int)(data & 3);
        timestamps = (data & TimestampsBit) != 0;
        return data < 2 * TimestampsBit;
    }

    /// <summary>
    /// The SYN-ACK's TSval: <paramref name="tsNow"/> with its low bits replaced by the options, never later
    /// than <paramref name="tsNow"/> (so the connection's later TSvals, on the same clock, never go backwards).
    /// </summary>
    /// <param name="tsNow">The connection's timestamp clock now (ms plus its offset).</param>
    /// <param name="peerWindowScale">The peer's window shift (0–14), or -1 for none.</param>
    /// <param name="sackPermitted">Whether the peer offered SACK.</param>
    public static uint EncodeTsVal(uint tsNow, int peerWindowScale, bool sackPermitted)
    {
        uint bits = (uint)(peerWindowScale is >= 0 and <= 14 ? peerWindowScale : NoWindowScale) | (sackPermitted ? 0x10u : 0);
        uint ts = (tsNow & ~TsOptionMask) | bits;
        if ((int)(ts - tsNow) > 0)
        {
            ts -= TsOptionMask + 1;
        }
        return ts;
    }

    /// <summary>
    /// The options an ACK's TSecr carries back, if the echo is plausible: not later than <paramref name="tsNow"/>
    /// and not older than a cookie lives, and bit 5 clear.
    /// </summary>
    public static bool TryDecodeTsEcr(uint tsEcr, uint tsNow, out int peerWindowScale, out bool sackPermitted)
    {
        int ageMs = (int)(tsNow - tsEcr);
        int ws = (int)(tsEcr & 0xF);
        peerWindowScale = ws == NoWindowScale ? -1 : ws;
        sackPermitted = (tsEcr & 0x10) != 0;
        return ageMs >= 0 && ageMs <= LifetimeUs / 1000 && (tsEcr & 0x20) == 0;
    }
}
