using Smolmix.Wire;

namespace Smolmix;

public sealed partial class NetStack
{
    private FragmentReassembler _reassembler = null!;

    private void InitReassembly() =>
        _reassembler = new FragmentReassembler(Options.ReassemblyBufferSize, Options.ReassemblyTimeout);

    /// <summary>IPv4/IPv6 fragment reassembly with bounded memory and a timeout; every rejection is counted.</summary>
    private bool TryReassemble(ReadOnlySpan<byte> packet, out byte[]? datagram, out int length)
    {
        var now = TimeSpan.FromTicks(NowMicros * 10);
        _reassembler.Expire(now);
        if (_reassembler.TryAdd(packet, now, out datagram, out length, out DropReason reason))
        {
            return true;
        }
        if (reason != DropReason.None)
        {
            Metrics.Drop(reason);
        }
        return false;
    }
}
