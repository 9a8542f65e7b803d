using Smolmix.Devices;
using Smolmix.Stack;

namespace Smolmix.Simulation;

/// <summary>
/// One direction of a simulated path: packets sent by a stack pass an <see cref="ImpairmentModel"/>
/// and are delivered to the other stack's input at their virtual arrival time.
/// </summary>
internal sealed class SimLink : IPacketOutput
{
    private readonly SimClock _clock;
    private readonly ImpairmentModel? _model;

    public SimLink(SimClock clock, ImpairmentOptions? impairment)
    {
        _clock = clock;
        _model = impairment is null ? null : new ImpairmentModel(impairment);
    }

    /// <summary>The stack packets are delivered to.</summary>
    public NetStack? Destination { get; set; }

    /// <summary>Packets offered.</summary>
    public long Packets { get; private set; }

    /// <summary>Bytes offered.</summary>
    public long Bytes { get; private set; }

    /// <summary>The impairment counters, if impaired.</summary>
    public ImpairmentCounters? Counters => _model?.Counters;

    /// <summary>Optional tap for every packet offered (e.g. a pcap writer).</summary>
    public Action<ReadOnlyMemory<byte>, TimeSpan>? Tap { get; set; }

    /// <summary>Bytes waiting in the bottleneck now (0 without a rate limit).</summary>
    public long BacklogBytes => _model?.BacklogBytes(_clock.Now) ?? 0;

    public bool HasRoom => true;

    /// <summary>When true the link delivers nothing (a dead peer or a cut path).</summary>
    public bool Down { get; set; }

    public void Send(ReadOnlySpan<byte> packet)
    {
        if (Down)
        {
            return;
        }
        Packets++;
        Bytes += packet.Length;
        byte[] copy = packet.ToArray();
        Tap?.Invoke(copy, _clock.Now);
        if (_model is null)
        {
            _clock.Schedule(_clock.Now, () => Destination!.Input(copy));
            return;
        }
        var d = _model.Decide(copy.Length, _clock.Now);
        if (d.Dropped)
        {
            return;
        }
        if (d.CorruptByteIndex >= 0)
        {
            copy[d.CorruptByteIndex] ^= 0x5A;
        }
        _clock.Schedule(d.DeliverAt, () => Destination!.Input(copy));
        if (d.Duplicated)
        {
            byte[] dup = (byte[])copy.Clone();
            _clock.Schedule(d.DuplicateDeliverAt, () => Destination!.Input(dup));
        }
    }
}
