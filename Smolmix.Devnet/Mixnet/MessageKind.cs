namespace Smolmix.Devnet.Mixnet;

/// <summary>What a message in flight is, which decides what happens when it arrives.</summary>
internal enum MessageKind
{
    /// <summary>A message sent with Send or SendAnonymous; may carry a sender tag and reply SURBs.</summary>
    Forward,

    /// <summary>A reply sent through the receiver's reply SURBs; arrives without a sender tag.</summary>
    Reply,

    /// <summary>A replying side asking a sender for more SURBs (costs one SURB).</summary>
    SurbRequest,

    /// <summary>A sender's nym-client answering a SURB request with fresh SURBs.</summary>
    SurbTopUp,
}
