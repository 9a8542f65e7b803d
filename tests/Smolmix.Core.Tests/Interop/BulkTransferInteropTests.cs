using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Smolmix.Devices;
using Xunit.Abstractions;

namespace Smolmix.Tests.Interop;

/// <summary>
/// Bulk transfers between our stack and the Linux kernel's TCP through a TUN with loss and heavy
/// reordering in both directions: byte-exact (SHA-256), no stall, bounded time.
/// </summary>
[Collection(InteropCollection.Name)]
public class BulkTransferInteropTests
{
    /// <summary>No byte moves in a direction for this long: a stall, the test fails.</summary>
    private static readonly TimeSpan StallLimit = TimeSpan.FromSeconds(30);

    private readonly ITestOutputHelper _out;

    public BulkTransferInteropTests(ITestOutputHelper output) => _out = output;

    /// <summary>2 % loss and up to 300 ms of extra delay (so reordering) in the given direction.</summary>
    internal static ImpairmentOptions LossyReordering(int seed) => new()
    {
        Seed = seed,
        LossRate = 0.02,
        BaseDelay = TimeSpan.FromMilliseconds(5),
        Jitter = DelayDistribution.Uniform(TimeSpan.Zero, TimeSpan.FromMilliseconds(300)),
    };

    /// <summary>
    /// The acceptance test: 64 MiB each way. On this path both directions run at roughly 0.1 MB/s, so it
    /// takes about 11–12 minutes: it runs in CI (CI=true) and when SMOLMIX_INTEROP_FULL=1 (optionally
    /// SMOLMIX_INTEROP_BULK_MIB, SMOLMIX_INTEROP_BULK_PCAP); a local `scripts/test.sh` skips it.
    /// </summary>
    [SkippableFact]
    public async Task SixtyFourMiB_EachWay_WithLossAndReordering_IsByteExact_AndNeverStalls()
    {
        Skip.If(KernelRig.WhyNot is not null, $"needs root, /dev/net/tun and ip: {KernelRig.WhyNot}");
        Skip.If(Environment.GetEnvironmentVariable("SMOLMIX_INTEROP_FULL") != "1" && Environment.GetEnvironmentVariable("CI") != "true"
            && Environment.GetEnvironmentVariable("SMOLMIX_INTEROP_BULK_MIB") is null, FullSizeSkipReason);
        long bytes = (long.TryParse(Environment.GetEnvironmentVariable("SMOLMIX_INTEROP_BULK_MIB"), out long mib) && mib > 0 ? mib : 64) << 20;
        string? pcap = Environment.GetEnvironmentVariable("SMOLMIX_INTEROP_BULK_PCAP");
        await using var rig = KernelRig.Create(LossyReordering(1), LossyReordering(2), pcap, stackPcapPath: pcap is null ? null : pcap + ".stack.pcap");
        var result = await RunBothWaysAsync(rig, bytes, TimeSpan.FromMinutes(45), _out);
        Assert.True(result.UploadOk, "upload hash mismatch");
        Assert.True(result.DownloadOk, "download hash mismatch");
    }

    internal const string FullSizeSkipReason =
        "64 MiB each way takes ~11 min on this path (2 % loss, 5 ms + U(0,300 ms) each way; measured 2026-11-24: upload 678 s = 0.10 MB/s, " +
        "download 610 s = 0.11 MB/s; loss-limited, the kernel's BBR is capped by 2 x bw x min_rtt with min_rtt ~20 ms vs ~310 ms mean RTT). " +
        "It runs in CI (CI=true) or with SMOLMIX_INTEROP_FULL=1; the 3 MiB variant below always runs.";

    /// <summary>
    /// The CI-sized version of the above (3 MiB each way), recorded with a <see cref="PcapTapDevice"/>;
    /// tshark then finds no malformed packet, no checksum error, and exactly the TCP packets we count.
    /// </summary>
    [SkippableFact]
    public async Task FewMiB_EachWay_WithLossAndReordering_IsByteExact_AndThePcapIsClean()
    {
        Skip.If(KernelRig.WhyNot is not null, $"needs root, /dev/net/tun and ip: {KernelRig.WhyNot}");
        string pcap = Path.Combine(Path.GetTempPath(), $"smx-bulk-{Guid.NewGuid():N}.pcap");
        bool keep = false;
        try
        {
            await using (var rig = KernelRig.Create(LossyReordering(11), LossyReordering(12), pcap))
            {
                var result = await RunBothWaysAsync(rig, 3 << 20, TimeSpan.FromMinutes(3), _out);
                Assert.True(result.UploadOk, "upload hash mismatch");
                Assert.True(result.DownloadOk, "download hash mismatch");
            }

            keep = true; // until the checks pass
            Skip.IfNot(Tools.Exists("tshark"), "transfer passed; tshark is not installed (scripts/setup-test-env.sh installs it as root), so the pcap was not checked");
            PcapCheck.AssertClean(pcap, _out);
            keep = false;
        }
        finally
        {
            if (keep)
            {
                _out.WriteLine($"capture kept for inspection: {pcap}");
            }
            else
            {
                File.Delete(pcap);
            }
        }
    }

    internal readonly record struct BothWays(bool UploadOk, bool DownloadOk, TimeSpan Upload, TimeSpan Download);

    /// <summary>
    /// Upload (our connect → kernel listener, we send) and download (kernel connect → our listener,
    /// kernel sends) of <paramref name="bytes"/> each, concurrently, with a stall watchdog.
    /// </summary>
    internal static async Task<BothWays> RunBothWaysAsync(KernelRig rig, long bytes, TimeSpan limit, ITestOutputHelper log)
    {
        using var cts = new CancellationTokenSource(limit);
        using var kernelListener = rig.KernelListener(AddressFamily.InterNetwork);
        using var ourListener = rig.Stack.Listen(5001);
        using var kernelClient = rig.KernelSocket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var data = Pattern.Instance;
        var up = new Progress();
        var down = new Progress();
        var sw = Stopwatch.StartNew();
        TcpStream? upStream = null, downStream = null;
        Socket? kernelUp = null;

        // Upload: we send, the kernel receives.
        var upload = Task.Run(async () =>
        {
            var accept = kernelListener.AcceptAsync(cts.Token).AsTask();
            upStream = await rig.Stack.ConnectTcpAsync((IPEndPoint)kernelListener.LocalEndPoint!, TimeSpan.FromSeconds(30), cts.Token);
            kernelUp = await accept;
            var receive = Task.Run(() => ReceiveAllAsync(kernelUp, up, cts.Token));
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long sent = 0;
            while (sent < bytes)
            {
                var chunk = data.Chunk(sent, (int)Math.Min(64 * 1024, bytes - sent));
                await upStream.WriteAsync(chunk, cts.Token);
                hash.AppendData(chunk.Span);
                sent += chunk.Length;
            }

            upStream.ShutdownWrite();
            byte[] received = await receive;
            up.Elapsed = sw.Elapsed;
            return hash.GetHashAndReset().AsSpan().SequenceEqual(received);
        });

        // Download: the kernel sends, we receive.
        var download = Task.Run(async () =>
        {
            var accept = ourListener.AcceptAsync(cts.Token).AsTask();
            await kernelClient.ConnectAsync(new IPEndPoint(KernelRig.StackV4, 5001), cts.Token);
            downStream = await accept;
            var receive = Task.Run(() => ReadAllAsync(downStream, down, cts.Token));
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long sent = 0;
            while (sent < bytes)
            {
                var chunk = data.Chunk(sent + 12345, (int)Math.Min(64 * 1024, bytes - sent));
                int n = await kernelClient.SendAsync(chunk, SocketFlags.None, cts.Token);
                hash.AppendData(chunk.Span[..n]);
                sent += n;
            }

            kernelClient.Shutdown(SocketShutdown.Send);
            byte[] received = await receive;
            down.Elapsed = sw.Elapsed;
            return hash.GetHashAndReset().AsSpan().SequenceEqual(received);
        });

        // Watchdog: each unfinished direction must move bytes at least every StallLimit.
        var both = Task.WhenAll(upload, download);
        string? stall = null;
        long lastUp = -1, lastDown = -1;
        TimeSpan upMoved = TimeSpan.Zero, downMoved = TimeSpan.Zero, lastReport = TimeSpan.Zero;
        while (!both.IsCompleted)
        {
            await Task.WhenAny(both, Task.Delay(1000));
            var now = sw.Elapsed;
            long u = up.Bytes, d = down.Bytes;
            if (u != lastUp || up.Done)
            {
                (lastUp, upMoved) = (u, now);
            }

            if (d != lastDown || down.Done)
            {
                (lastDown, downMoved) = (d, now);
            }

            if (now - lastReport >= TimeSpan.FromSeconds(10))
            {
                lastReport = now;
                log.WriteLine($"  t={now.TotalSeconds:0}s up {u >> 20} MiB down {d >> 20} MiB; {Snapshot(rig, upStream, downStream, kernelUp, kernelClient)}");
            }

            if (now - upMoved > StallLimit || now - downMoved > StallLimit)
            {
                stall = $"stall at t={now.TotalSeconds:0}s: up {u} B (last moved {upMoved.TotalSeconds:0}s), down {d} B (last moved {downMoved.TotalSeconds:0}s)";
                break;
            }
        }

        string diag = Snapshot(rig, upStream, downStream, kernelUp, kernelClient);
        if (stall is not null || cts.IsCancellationRequested)
        {
            log.WriteLine(stall ?? "time limit reached");
            log.WriteLine(diag);
            await cts.CancelAsync();
            Assert.Fail((stall ?? $"not done within {limit}") + "; " + diag);
        }

        bool upOk = await upload, downOk = await download;
        var m = rig.Stack.Metrics;
        double MBps(TimeSpan t) => bytes / t.TotalSeconds / 1e6;
        log.WriteLine($"{bytes >> 20} MiB each way, concurrently, elapsed {sw.Elapsed.TotalSeconds:0.0} s");
        log.WriteLine($"upload   (we send):     {up.Elapsed.TotalSeconds:0.0} s = {MBps(up.Elapsed):0.00} MB/s, sha256 {(upOk ? "ok" : "MISMATCH")}");
        log.WriteLine($"download (kernel sends): {down.Elapsed.TotalSeconds:0.0} s = {MBps(down.Elapsed):0.00} MB/s, sha256 {(downOk ? "ok" : "MISMATCH")}");
        log.WriteLine($"our stack: retransmits {m.TcpRetransmits}, RTOs {m.TcpTimeouts}, TLPs {m.TcpTailLossProbes}, recoveries {m.TcpRecoveries}, spurious undos {m.TcpSpuriousUndos}, D-SACKs received {m.TcpDsacksReceived}, drops {m.TotalDrops} ({Drops(m)})");
        log.WriteLine(diag);
        log.WriteLine("kernel TcpExt: " + KernelNetstat.Summary(KernelNetstat.Read(rig),
            "PAWSEstab", "TCPSACKReorder", "TCPDSACKRecv", "TCPDSACKOfoRecv", "TCPLossProbes", "TCPSpuriousRTOs", "TCPTimeouts",
            "TCPFastRetrans", "TCPSlowStartRetrans", "TCPOFOQueue", "TCPRcvQDrop", "TCPZeroWindowDrop", "TCPDSACKUndo", "TCPLossUndo", "TCPSackRecoveryFail"));
        upStream?.Dispose();
        downStream?.Dispose();
        kernelUp?.Dispose();
        return new BothWays(upOk, downOk, up.Elapsed, down.Elapsed);
    }

    internal static string Drops(StackMetrics m) =>
        string.Join(", ", Enum.GetValues<Smolmix.Wire.DropReason>().Where(r => m.Drops(r) > 0).Select(r => $"{r} {m.Drops(r)}"));

    internal static string Snapshot(KernelRig rig, TcpStream? upStream, TcpStream? downStream, Socket? kernelUp, Socket? kernelDown)
    {
        var parts = new List<string>();
        try
        {
            if (upStream is not null)
            {
                parts.Add($"our sender {rig.Stack.GetInfo(upStream)}");
            }

            if (downStream is not null)
            {
                parts.Add($"our receiver {rig.Stack.GetInfo(downStream)}");
            }

            if (kernelDown is not null)
            {
                parts.Add($"kernel sender ({KernelTcpInfo.Congestion(kernelDown)}) {KernelTcpInfo.Get(kernelDown)}");
            }

            if (kernelUp is not null)
            {
                parts.Add($"kernel receiver {KernelTcpInfo.Get(kernelUp)}");
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            parts.Add(e.Message);
        }

        if (rig.Impairment is { } imp)
        {
            parts.Add($"impair to-kernel [{imp.OutboundCounters}] from-kernel [{imp.InboundCounters}]");
        }

        return string.Join("\n    ", parts);
    }

    private static async Task<byte[]> ReceiveAllAsync(Socket s, Progress p, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buf = new byte[256 * 1024];
        while (true)
        {
            int n = await s.ReceiveAsync(buf, SocketFlags.None, ct);
            if (n == 0)
            {
                p.Done = true;
                return hash.GetHashAndReset();
            }

            hash.AppendData(buf, 0, n);
            p.Add(n);
        }
    }

    private static async Task<byte[]> ReadAllAsync(TcpStream s, Progress p, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buf = new byte[256 * 1024];
        while (true)
        {
            int n = await s.ReadAsync(buf, ct);
            if (n == 0)
            {
                p.Done = true;
                return hash.GetHashAndReset();
            }

            hash.AppendData(buf, 0, n);
            p.Add(n);
        }
    }

    private sealed class Progress
    {
        private long _bytes;
        private volatile bool _done;

        public long Bytes => Interlocked.Read(ref _bytes);

        public bool Done { get => _done; set => _done = value; }

        public TimeSpan Elapsed { get; set; }

        public void Add(int n) => Interlocked.Add(ref _bytes, n);
    }
}
