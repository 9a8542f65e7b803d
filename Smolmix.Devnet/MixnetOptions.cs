namespace Smolmix.Devnet;

/// <summary>
/// How the Devnet's mixnet model treats traffic: Sphinx packet sizes, per-hop mixing delays,
/// per-link latency, each client's Poisson sending process, loss, duplication and the reply-SURB
/// thresholds of the Nym client. Start from <see cref="ForPreset"/> and adjust with <c>with</c>.
/// </summary>
/// <remarks>
/// A message is cut into Sphinx packets of <see cref="PacketPayloadSize"/> usable bytes each (reply
/// SURBs attached to a message add <see cref="ReplySurbSize"/> bytes each to the forward payload).
/// Every packet waits for a slot of its sender's Poisson process, then travels independently:
/// <see cref="MixHops"/> mixes, each holding it for an exponentially distributed time with mean
/// <see cref="MeanHopDelay"/>, over <see cref="MixHops"/> + 2 links, each adding a latency drawn
/// uniformly from <see cref="LinkLatencyMin"/>..<see cref="LinkLatencyMax"/>. A message is
/// delivered when its last packet arrives; one lost packet loses the whole message.
/// </remarks>
public sealed record MixnetOptions
{
    /// <summary>Mix hops every packet crosses (3 on the Nym mixnet).</summary>
    public int MixHops { get; init; } = 3;

    /// <summary>The mean of each hop's exponential mixing delay (Nym's default <c>average_packet_delay</c> is 15 ms).</summary>
    public TimeSpan MeanHopDelay { get; init; } = TimeSpan.FromMilliseconds(15);

    /// <summary>The smallest latency of one link (client to gateway, gateway to mix, mix to mix, mix to gateway).</summary>
    public TimeSpan LinkLatencyMin { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>The largest latency of one link.</summary>
    public TimeSpan LinkLatencyMax { get; init; } = TimeSpan.FromMilliseconds(30);

    /// <summary>
    /// The mean gap of each nym-client's Poisson sending process (Nym's default
    /// <c>message_sending_average_delay</c> is 20 ms, i.e. 50 packets/s); packets beyond it queue.
    /// Null disables the rate limit.
    /// </summary>
    public TimeSpan? SendingInterval { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// The mean gap of the exit's own sending process. Null (the default) sends at once, as the IP
    /// packet router in nym-node runs with its Poisson rate disabled.
    /// </summary>
    public TimeSpan? ExitSendingInterval { get; init; }

    /// <summary>The probability, 0 to 1, that a Sphinx packet is lost (losing its whole message).</summary>
    public double LossRate { get; init; }

    /// <summary>The probability, 0 to 1, that a message is delivered twice (as after a lost acknowledgement and a retransmission).</summary>
    public double DuplicationRate { get; init; }

    /// <summary>Usable plaintext bytes per regular Sphinx packet (about 1610 of the 2048-byte payload).</summary>
    public int PacketPayloadSize { get; init; } = 1610;

    /// <summary>The serialised size of one reply SURB carried in a forward message (460 bytes).</summary>
    public int ReplySurbSize { get; init; } = 460;

    /// <summary>SURBs the replying side keeps in reserve for asking for more (client-core default 10).</summary>
    public int MinimumSurbThreshold { get; init; } = 10;

    /// <summary>The replying side stops asking for SURBs once it holds this many (client-core default 200).</summary>
    public int MaximumSurbThreshold { get; init; } = 200;

    /// <summary>The smallest SURB top-up the replying side asks for (client-core default 10).</summary>
    public int MinimumSurbRequestSize { get; init; } = 10;

    /// <summary>The largest SURB top-up the replying side asks for (client-core default 50).</summary>
    public int MaximumSurbRequestSize { get; init; } = 50;

    /// <summary>The largest SURB request a client honours (client-core default 500).</summary>
    public int MaximumAllowedSurbRequest { get; init; } = 500;

    /// <summary>How long replies may wait for SURBs before the request is repeated (client-core default 10 s).</summary>
    public TimeSpan SurbRerequestWait { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a SURB request is repeated before the waiting replies are dropped (client-core default 5).</summary>
    public int MaximumSurbRerequests { get; init; } = 5;

    /// <summary>The options of a named preset.</summary>
    /// <param name="preset">The preset.</param>
    /// <returns>The preset's options.</returns>
    public static MixnetOptions ForPreset(DevnetPreset preset) => preset switch
    {
        DevnetPreset.Instant => new MixnetOptions
        {
            MeanHopDelay = TimeSpan.Zero,
            LinkLatencyMin = TimeSpan.Zero,
            LinkLatencyMax = TimeSpan.Zero,
            SendingInterval = null,
        },
        DevnetPreset.Nym => new MixnetOptions(),
        DevnetPreset.Harsh => new MixnetOptions
        {
            MeanHopDelay = TimeSpan.FromMilliseconds(50),
            LinkLatencyMin = TimeSpan.FromMilliseconds(20),
            LinkLatencyMax = TimeSpan.FromMilliseconds(60),
            LossRate = 0.02,
        },
        _ => throw new ArgumentOutOfRangeException(nameof(preset), preset, "Unknown preset."),
    };

    /// <summary>The mean one-way delay of a packet outside queues: hops × mean hop delay + links × mean link latency.</summary>
    public TimeSpan MeanPathDelay => (MeanHopDelay * MixHops) + (((LinkLatencyMin + LinkLatencyMax) / 2) * LinkCount);

    /// <summary>Links a packet crosses: client to gateway, between the mixes, and to the far gateway.</summary>
    internal int LinkCount => MixHops + 2;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> when a value is out of range.</summary>
    public void Validate()
    {
        Check(MixHops is >= 0 and <= 10, nameof(MixHops), "must be 0..10");
        Check(MeanHopDelay >= TimeSpan.Zero, nameof(MeanHopDelay), "must not be negative");
        Check(LinkLatencyMin >= TimeSpan.Zero && LinkLatencyMax >= LinkLatencyMin, nameof(LinkLatencyMax), "must satisfy 0 ≤ min ≤ max");
        Check(SendingInterval is null || SendingInterval > TimeSpan.Zero, nameof(SendingInterval), "must be positive or null");
        Check(ExitSendingInterval is null || ExitSendingInterval > TimeSpan.Zero, nameof(ExitSendingInterval), "must be positive or null");
        Check(LossRate is >= 0 and <= 1, nameof(LossRate), "must be 0..1");
        Check(DuplicationRate is >= 0 and <= 1, nameof(DuplicationRate), "must be 0..1");
        Check(PacketPayloadSize >= 64, nameof(PacketPayloadSize), "must be at least 64");
        Check(ReplySurbSize >= 0, nameof(ReplySurbSize), "must not be negative");
        Check(MinimumSurbThreshold >= 0 && MaximumSurbThreshold >= MinimumSurbThreshold, nameof(MaximumSurbThreshold), "must satisfy 0 ≤ minimum ≤ maximum");
        Check(MinimumSurbRequestSize >= 1 && MaximumSurbRequestSize >= MinimumSurbRequestSize, nameof(MaximumSurbRequestSize), "must satisfy 1 ≤ minimum ≤ maximum");
        Check(MaximumAllowedSurbRequest >= 1, nameof(MaximumAllowedSurbRequest), "must be positive");
        Check(SurbRerequestWait > TimeSpan.Zero && MaximumSurbRerequests >= 0, nameof(SurbRerequestWait), "must be positive");
    }

    private static void Check(bool ok, string name, string message)
    {
        if (!ok)
        {
            throw new ArgumentOutOfRangeException(name, message);
        }
    }
}
