using System.Buffers;
using System.Collections.Concurrent;

namespace Smolmix.Devices;

/// <summary>
/// Buffers for packets in flight between threads. Packets are rented on one thread and returned on
/// another, which defeats <see cref="ArrayPool{T}.Shared"/>'s per-thread caches (its misses become
/// garbage at hundreds of thousands of packets per second); this pool keeps one shared queue of
/// MTU-sized buffers instead, bounded so that it never holds more than a few MiB.
/// </summary>
internal static class PacketBuffers
{
    /// <summary>Size of a pooled buffer: every packet up to this length shares one size class.</summary>
    public const int BufferSize = 2048;

    private const int MaxRetained = 4096;
    private static readonly ConcurrentQueue<byte[]> s_free = new();
    private static int s_retained;
    private static long s_created;
    private static long s_dropped;

    /// <summary>Buffers created because none was free (diagnostics: compare-kernel --pool-stats).</summary>
    public static long Created => Interlocked.Read(ref s_created);

    /// <summary>Buffers returned while the pool was full, left to the garbage collector (diagnostics).</summary>
    public static long Dropped => Interlocked.Read(ref s_dropped);

    /// <summary>A buffer of at least <paramref name="length"/> bytes.</summary>
    public static byte[] Rent(int length)
    {
        if (length > BufferSize)
        {
            return ArrayPool<byte>.Shared.Rent(length);
        }
        if (s_free.TryDequeue(out byte[]? b))
        {
            Interlocked.Decrement(ref s_retained);
            return b;
        }
        Interlocked.Increment(ref s_created);
        return new byte[BufferSize];
    }

    /// <summary>Returns a buffer obtained from <see cref="Rent"/>.</summary>
    public static void Return(byte[] buffer)
    {
        if (buffer.Length != BufferSize)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return;
        }
        if (Interlocked.Increment(ref s_retained) <= MaxRetained)
        {
            s_free.Enqueue(buffer);
        }
        else
        {
            Interlocked.Increment(ref s_dropped);
            Interlocked.Decrement(ref s_retained);
        }
    }
}
