using Smolmix.Nym;

namespace Smolmix.Devnet.Mixnet;

/// <summary>Something with a Nym address that receives messages from the <see cref="MixnetModel"/>.</summary>
internal interface IMixnetEndpoint
{
    /// <summary>The endpoint's Nym address.</summary>
    NymAddress Address { get; }

    /// <summary>Hands over a reassembled message. Must not block; called on the scheduler's thread.</summary>
    void Deliver(MixnetDelivery delivery);
}
