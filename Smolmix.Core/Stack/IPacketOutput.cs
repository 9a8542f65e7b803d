namespace Smolmix.Stack;

/// <summary>Where the engine puts outbound packets. Called under the stack lock; must not block.</summary>
internal interface IPacketOutput
{
    /// <summary>False when the outbound queue is full: TCP then holds new data back.</summary>
    bool HasRoom { get; }

    /// <summary>Takes a copy of one outbound IP packet.</summary>
    void Send(ReadOnlySpan<byte> packet);
}
