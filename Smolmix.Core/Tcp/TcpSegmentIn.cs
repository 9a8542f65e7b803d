using Smolmix.Wire;

namespace Smolmix.Tcp;

/// <summary>An inbound segment as the state machine sees it.</summary>
internal ref struct TcpSegmentIn
{
    public uint Seq;
    public uint Ack;
    public TcpFlags Flags;
    public ushort Window;
    public TcpOptions Options;
    public ReadOnlySpan<byte> Payload;

    public readonly bool Syn => (Flags & TcpFlags.Syn) != 0;
    public readonly bool Fin => (Flags & TcpFlags.Fin) != 0;
    public readonly bool Rst => (Flags & TcpFlags.Rst) != 0;
    public readonly bool HasAck => (Flags & TcpFlags.Ack) != 0;

    /// <summary>Sequence space the segment occupies.</summary>
    public readonly int SeqLength => Payload.Length + (Syn ? 1 : 0) + (Fin ? 1 : 0);
}
