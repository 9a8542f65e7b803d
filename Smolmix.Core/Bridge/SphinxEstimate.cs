namespace Smolmix.Bridge;

/// <summary>
/// Estimates of how many Sphinx packets a mixnet message occupies. A regular Sphinx packet carries
/// about 1.6 KB of plaintext; a repliable message carries its sender tag and every reply SURB
/// (about 460 bytes each for 4 hops) in that plaintext, so an empty message holds at most 3 SURBs
/// per packet. nym-client builds the packets; these figures only steer bundling and the SURB
/// policy and feed the metrics.
/// </summary>
internal static class SphinxEstimate
{
    /// <summary>Usable plaintext per Sphinx packet (fragment) of a regular-size message.</summary>
    public const int PacketPayload = 1603;

    /// <summary>The serialised size of one reply SURB (4 hops).</summary>
    public const int SurbLength = 460;

    /// <summary>Overhead of a repliable message: sender tag, SURB count and message kind.</summary>
    public const int RepliableOverhead = 24;

    /// <summary>Overhead of a reply message.</summary>
    public const int ReplyOverhead = 8;

    /// <summary>Plaintext bytes a repliable message of <paramref name="messageLength"/> bytes with <paramref name="surbs"/> SURBs occupies.</summary>
    public static int ForwardPayloadBytes(int messageLength, int surbs) => messageLength + RepliableOverhead + (surbs * SurbLength);

    /// <summary>Sphinx packets a repliable message of <paramref name="messageLength"/> bytes with <paramref name="surbs"/> SURBs needs.</summary>
    public static int ForwardPackets(int messageLength, int surbs) => Packets(ForwardPayloadBytes(messageLength, surbs));

    /// <summary>SURBs that fit into the padding of the packets a message without SURBs needs anyway.</summary>
    public static int FreeSurbSlots(int messageLength)
    {
        int used = ForwardPayloadBytes(messageLength, 0);
        return ((Packets(used) * PacketPayload) - used) / SurbLength;
    }

    /// <summary>The longest message (excluding SURBs) that fits in <paramref name="packets"/> Sphinx packets.</summary>
    public static int MaxForwardMessage(int packets) => (packets * PacketPayload) - RepliableOverhead;

    /// <summary>Sphinx packets (SURBs consumed) of a reply of <paramref name="messageLength"/> bytes.</summary>
    public static int ReplyPackets(int messageLength) => Packets(messageLength + ReplyOverhead);

    private static int Packets(int bytes) => Math.Max(1, (bytes + PacketPayload - 1) / PacketPayload);
}
