using Smolmix.Nym;

namespace Smolmix.Devnet.Mixnet;

/// <summary>A registered endpoint's state in the mixnet model: its sending process, lanes and SURB accounts.</summary>
internal sealed class MixnetNode
{
    /// <summary>A lane with fewer packets than this is "small" and served first (nym-client's threshold).</summary>
    private const int SmallLane = 100;

    /// <summary>How many of the lanes that sent the most form the "oldest" set.</summary>
    private const int OldestLaneSet = 4;

    public MixnetNode(IMixnetEndpoint endpoint, TimeSpan? sendingInterval)
    {
        Endpoint = endpoint;
        SendingInterval = sendingInterval;
    }

    public IMixnetEndpoint Endpoint { get; }

    public NymAddress Address => Endpoint.Address;

    /// <summary>The mean gap of this node's Poisson sending process, or null for no rate limit.</summary>
    public TimeSpan? SendingInterval { get; }

    /// <summary>Packets waiting for a slot of the Poisson process, per lane.</summary>
    public Dictionary<ulong, SendingLane> SendingQueue { get; } = [];

    /// <summary>Whether the next slot of the Poisson process is scheduled.</summary>
    public bool SlotScheduled { get; set; }

    /// <summary>Packets per lane not yet sent (queued for a slot or waiting for SURBs).</summary>
    public Dictionary<ulong, long> Lanes { get; } = [];

    /// <summary>Reply SURBs received from other clients, by their sender tag.</summary>
    public Dictionary<SenderTag, SurbAccount> Accounts { get; } = [];

    public bool Registered { get; set; } = true;

    /// <summary>Queues a packet for a sending slot on its lane.</summary>
    public void Enqueue(QueuedPacket packet)
    {
        if (!SendingQueue.TryGetValue(packet.Lane, out SendingLane? lane))
        {
            lane = new SendingLane();
            SendingQueue.Add(packet.Lane, lane);
        }

        lane.Packets.Enqueue(packet);
    }

    /// <summary>
    /// Takes the packet for the next sending slot the way nym-client's transmission buffer picks it
    /// (client-core <c>pop_next_message_at_random</c>): a random lane among those with fewer than 100
    /// packets; when every lane is longer, two times in three a random one of the four lanes that have
    /// sent the most, otherwise any lane at random. Within a lane, first in, first out.
    /// </summary>
    public bool TryTakeNext(Random random, out QueuedPacket packet)
    {
        if (SendingQueue.Count == 0)
        {
            packet = default;
            return false;
        }

        List<KeyValuePair<ulong, SendingLane>> lanes = [.. SendingQueue];
        List<KeyValuePair<ulong, SendingLane>> small = lanes.FindAll(l => l.Value.Packets.Count < SmallLane);
        KeyValuePair<ulong, SendingLane> chosen;
        if (small.Count > 0)
        {
            chosen = small[random.Next(small.Count)];
        }
        else if (random.Next(3) < 2)
        {
            List<KeyValuePair<ulong, SendingLane>> oldest = [.. lanes.OrderByDescending(l => l.Value.Transmitted).Take(OldestLaneSet)];
            chosen = oldest[random.Next(oldest.Count)];
        }
        else
        {
            chosen = lanes[random.Next(lanes.Count)];
        }

        packet = chosen.Value.Packets.Dequeue();
        chosen.Value.Transmitted++;
        if (chosen.Value.Packets.Count == 0)
        {
            SendingQueue.Remove(chosen.Key);
        }

        return true;
    }

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
