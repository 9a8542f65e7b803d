using Smolmix.Nym;

namespace Smolmix.Devnet.Mixnet;

/// <summary>A registered endpoint's state in the mixnet model: its sending process, lanes and SURB accounts.</summary>
internal sealed class MixnetNode
{
    public MixnetNode(IMixnetEndpoint endpoint, TimeSpan? sendingInterval)
    {
        Endpoint = endpoint;
        SendingInterval = sendingInterval;
    }

    public IMixnetEndpoint Endpoint { get; }

    public NymAddress Address => Endpoint.Address;

    /// <summary>The mean gap of this node's Poisson sending process, or null for no rate limit.</summary>
    public TimeSpan? SendingInterval { get; }

    /// <summary>When the last queued packet leaves (the end of the Poisson queue).</summary>
    public TimeSpan LastDeparture { get; set; }

    /// <summary>Packets per lane not yet sent (queued for a slot or waiting for SURBs).</summary>
    public Dictionary<ulong, long> Lanes { get; } = [];

    /// <summary>Reply SURBs received from other clients, by their sender tag.</summary>
    public Dictionary<SenderTag, SurbAccount> Accounts { get; } = [];

    public bool Registered { get; set; } = true;

    public void AddToLane(ulong lane, long count)
    {
        if (lane == 0)
        {
            return;
        }

        long value = Lanes.GetValueOrDefault(lane) + count;
        if (value <= 0)
        {
            Lanes.Remove(lane);
        }
        else
        {
            Lanes[lane] = value;
        }
    }
}
