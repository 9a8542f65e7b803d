using Smolmix.Nym;

namespace Smolmix.Devnet.Mixnet;

/// <summary>One message crossing the mixnet as <see cref="Packets"/> Sphinx packets.</summary>
internal sealed class InFlightMessage
{
    public InFlightMessage(MessageKind kind, MixnetNode from, NymAddress to, ReadOnlyMemory<byte> payload, SenderTag? tag, int surbs, int packets, TimeSpan sentAt)
    {
        Kind = kind;
        From = from;
        To = to;
        Payload = payload;
        Tag = tag;
        Surbs = surbs;
        Packets = packets;
        Remaining = packets;
        SentAt = sentAt;
    }

    public MessageKind Kind { get; }

    public MixnetNode From { get; }

    public NymAddress To { get; }

    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>The sender tag: carried by forward messages, and naming the SURB account for replies and SURB traffic.</summary>
    public SenderTag? Tag { get; }

    /// <summary>Reply SURBs carried (forward and top-up), or requested (SURB request).</summary>
    public int Surbs { get; }

    public int Packets { get; }

    /// <summary>Packets still to arrive.</summary>
    public int Remaining { get; set; }

    public TimeSpan SentAt { get; }

    /// <summary>Set when one of its packets was lost.</summary>
    public bool Lost { get; set; }
}
