using Smolmix.Devices;

namespace Smolmix.Stack;

/// <summary>Where the engine puts outbound packets. Called under the stack lock; must not block.</summary>
internal interface IPacketOutput
{
    /// <summary>False when the outbound queue is full: TCP then holds new data back.</summary>
    bool HasRoom { get; }

    /// <summary>Takes a copy of one outbound IP packet.</summary>
    void Send(ReadOnlySpan<byte> packet);

    /// <summary>
    /// Takes one outbound IP packet built in a pooled buffer, and its ownership: the caller must not touch the
    /// buffer afterwards; the output returns it to the pool when done. By default: a copy, then the return.
    /// </summary>
    void SendPooled(PooledPacket packet)
    {
        Send(packet.Span);
        packet.Return();
    }
}
