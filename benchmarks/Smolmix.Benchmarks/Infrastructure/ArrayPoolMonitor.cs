using System.Diagnostics.Tracing;

namespace Smolmix.Benchmarks.Infrastructure;

/// <summary>
/// Counts <see cref="System.Buffers.ArrayPool{T}"/> misses (the runtime's "System.Buffers.ArrayPoolEventSource"
/// BufferAllocated event: a rent the pool could not serve, so a new array was allocated) and buffers
/// dropped on return because the pool was full.
/// </summary>
internal sealed class ArrayPoolMonitor : EventListener
{
    private long _allocated;
    private long _dropped;

    public long Allocated => Interlocked.Read(ref _allocated);

    public long Dropped => Interlocked.Read(ref _dropped);

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "System.Buffers.ArrayPoolEventSource")
        {
            EnableEvents(eventSource, EventLevel.Informational);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        switch (eventData.EventName)
        {
            case "BufferAllocated":
                Interlocked.Increment(ref _allocated);
                break;
            case "BufferDropped":
                Interlocked.Increment(ref _dropped);
                break;
        }
    }
}
