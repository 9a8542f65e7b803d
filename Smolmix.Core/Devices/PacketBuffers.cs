using System.Buffers;
using System.Collections.Concurrent;

namespace Smolmix.Devices;

/// <summary>
/// Buffers for packets in flight between threads. Packets are rented on one thread and returned on
/// another, which defeats <see cref="ArrayPool{T}.Shared"/>'s per-thread caches (its misses become
/// garbage at hundreds of thousands of packets per second); this pool keeps one shared queue per size
/// class instead (512 B for ACKs and small segments, 2 KiB for the usual MTU, 16 and 64 KiB for jumbo
/// MTUs), each bounded to 8 MiB of free buffers.
/// </summary>
internal static class PacketBuffers
{
    /// <summary>The size class of a usual packet (MTU 1500 and below).</summary>
    public const int BufferSize = 2048;

    private const int MaxRetainedBytes = 8 * 1024 * 1024;

    private static readonly SizeClass[] s_classes = [new(512), new(BufferSize), new(16 * 1024), new(64 * 1024)];
    private static long s_created;
    private static long s_dropped;

    /// <summary>Buffers created because none was free (diagnostics: compare-kernel --pool-stats).</summary>
    public static long Created => Interlocked.Read(ref s_created);

    /// <summary>Buffers returned while their class was full, left to the garbage collector (diagnostics).</summary>
    public static long Dropped => Interlocked.Read(ref s_dropped);

    /// <summary>A buffer of at least <paramref name="length"/> bytes.</summary>
    public static byte[] Rent(int length)
    {
        foreach (var c in s_classes)
        {
            if (length <= c.Size)
            {
                if (c.Free.TryDequeue(out byte[]? b))
                {
                    Interlocked.Decrement(ref c.Retained);
                    return b;
                }
                Interlocked.Increment(ref s_created);
                return new byte[c.Size];
            }
        }
        return ArrayPool<byte>.Shared.Rent(length);
    }

    /// <summary>Returns a buffer obtained from <see cref="Rent"/>.</summary>
    public static void Return(byte[] buffer)
    {
        foreach (var c in s_classes)
        {
            if (buffer.Length == c.Size)
            {
                if (Interlocked.Increment(ref c.Retained) <= c.MaxRetained)
                {
                    c.Free.Enqueue(buffer);
                }
                else
                {
                    Interlocked.Increment(ref s_dropped);
                    Interlocked.Decrement(ref c.Retained);
                }
                return;
            }
        }
        ArrayPool<byte>.Shared.Return(buffer);
    }

    private sealed class SizeClass(int size)
    {
        public readonly int Size = size;
        public readonly int MaxRetained = MaxRetainedBytes / size;
        public readonly ConcurrentQueue<byte[]> Free = new();
        public int Retained;
    }
}
