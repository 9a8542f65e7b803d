using BenchmarkDotNet.Attributes;
using Smolmix.Benchmarks.Infrastructure;

namespace Smolmix.Benchmarks;

/// <summary>
/// Bulk TCP stack-to-stack over an <see cref="Devices.InMemoryPacketLink"/> with default
/// <see cref="StackOptions"/>: one long-lived connection, each invocation moves a fixed amount one way.
/// The Op/s and MB/s columns give the rate (an operation is one MiB for the bulk case, one
/// <c>write</c> call for the small-writes case).
/// </summary>
[Config(typeof(ThroughputConfig))]
public class InMemoryThroughputBenchmarks
{
    private const int BulkMiB = 64;
    private const int SmallWrite = 256;
    private const int SmallWrites = 16_384; // 4 MiB per invocation

    private StreamPair _pair = null!;
    private readonly byte[] _write = new byte[256 * 1024];
    private readonly byte[] _read = new byte[256 * 1024];

    /// <summary>Device MTU: 1420 is the Nym IPR's; 9000 shows per-packet versus per-byte cost.</summary>
    [Params(1420, 9000)]
    public int Mtu { get; set; }

    /// <summary>Application write size for the bulk case.</summary>
    [Params(64 * 1024)]
    public int WriteSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        new Random(1).NextBytes(_write);
        _pair = StreamPair.SmolmixInMemoryAsync(Mtu).GetAwaiter().GetResult();
        // Warm the connection: let slow start and receive-window autotuning settle.
        StreamPair.TransferAsync(_pair.Sender, _pair.Receiver, 32L << 20, _write, _read, WriteSize).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup() => _pair.DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>64 MiB one way in <see cref="WriteSize"/> writes, read in 256 KiB reads.</summary>
    [Benchmark(OperationsPerInvoke = BulkMiB)]
    [BytesPerOperation(1 << 20)]
    [OperationName("MiB")]
    public Task Bulk64MiB() =>
        StreamPair.TransferAsync(_pair.Sender, _pair.Receiver, (long)BulkMiB << 20, _write, _read, WriteSize);

    /// <summary>4 MiB one way in 256-byte writes (Nagle off, as by default): per-call and per-small-segment cost.</summary>
    [Benchmark(OperationsPerInvoke = SmallWrites)]
    [BytesPerOperation(SmallWrite)]
    [OperationName("writes")]
    public Task SmallWrites256B() =>
        StreamPair.TransferAsync(_pair.Sender, _pair.Receiver, (long)SmallWrites * SmallWrite, _write, _read, SmallWrite);
}
