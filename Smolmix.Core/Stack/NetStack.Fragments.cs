using Smolmix.Stack;
using Smolmix.Wire;

namespace Smolmix;

public sealed partial class NetStack
{
    private void InitReassembly()
    {
    }

    /// <summary>Fragment reassembly: not wired yet; fragments are dropped and counted.</summary>
    private bool TryReassemble(ReadOnlySpan<byte> packet, out byte[]? datagram, out int length)
    {
        datagram = null;
        length = 0;
        Metrics.Drop(DropReason.BadFragment);
        return false;
    }
}
