using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Smolmix.Devnet;

namespace Smolmix.Benchmarks;

/// <summary>
/// <c>devnet-path</c>: the tunnel's data path through an embedded Devnet in real time, each figure
/// next to the limit the preset sets. <c>instant</c>: an upload and a download of N MiB and their
/// ratio (goal ≥ 0.67). <c>nym</c>: an upload and a download of M MiB, each as a fraction of its
/// limit (goal ≥ 0.9): uploads are bound by the client's Poisson sending rate × Sphinx payload,
/// downloads by the reply SURBs the client can send at that rate; both by the header ceiling (IP and
/// TCP headers and the bundle's length prefix in every tunnel packet). Then 1 KiB request/response
/// round trips on a second connection while a bulk download runs, over the same on a quiet tunnel
/// (p50 and p90; goal ≤ 1.5), and the Sphinx packets (both directions) a 1 MiB download takes
/// against the SURB-bound lower limit (goal ≤ 1.25×).
/// </summary>
public static class DevnetPathBenchmark
{
    private const string Usage = "devnet-path [--preset instant|nym|all (all)] [--instant-mib N (16)] [--nym-mib N (4)] [--samples N (20)] [--seed N (1)] [--path-model true|false] [--bundle N] [--flush-ms N] [--queue-limit N] [--queue-poll-ms N] [--exit-buffer-ms N] [--surb-high N] [--trace] [--only-load] [--load down|up (down)] [--bidirectional]";
    private const byte Upload = (byte)'U';
    private const byte Download = (byte)'D';
    private const byte RequestResponse = (byte)'R';
    private const int SmallMessage = 1024;
    private static readonly IPEndPoint Public = new(IPAddress.Parse("192.0.2.80"), 80);

    public static async Task<int> RunAsync(string[] args)
    {
        string which = "all";
        int instantMib = 16, nymMib = 4, samples = 20, seed = 1;
        var tunnelOptions = new TunnelOptions();
        bool trace = false, onlyLoad = false, loadUp = false, bidirectional = false;
        for (int i = 0; i < args.Length; i++)
        {
            string? value = i + 1 < args.Length ? args[i + 1] : null;
            bool ok = args[i] switch
            {
                "--preset" => value is "instant" or "nym" or "all" && (which = value) is not null,
                "--instant-mib" => int.TryParse(value, out instantMib) && instantMib is > 0 and <= 1024,
                "--nym-mib" => int.TryParse(value, out nymMib) && nymMib is > 0 and <= 256,
                "--samples" => int.TryParse(value, out samples) && samples is >= 2 and <= 1000,
                "--seed" => int.TryParse(value, out seed),
                "--path-model" => bool.TryParse(value, out bool pathModel) && Set(() => tunnelOptions.Stack.PathModel = pathModel),
                "--bundle" => int.TryParse(value, out int bundle) && Set(() => tunnelOptions.Bundling.MaxSphinxPacketsPerMessage = bundle),
                "--flush-ms" => int.TryParse(value, out int flush) && Set(() => tunnelOptions.Bundling.FlushDelay = TimeSpan.FromMilliseconds(flush)),
                "--queue-limit" => int.TryParse(value, out int limit) && Set(() => tunnelOptions.Bundling.NymClientQueueLimit = limit),
                "--queue-poll-ms" => int.TryParse(value, out int poll) && poll > 0 && Set(() => tunnelOptions.Bundling.NymClientQueuePollInterval = TimeSpan.FromMilliseconds(poll)),
                "--exit-buffer-ms" => int.TryParse(value, out int buffer) && Set(() => tunnelOptions.ExitBufferTimeoutMs = buffer),
                "--trace" => (trace = true) && Back(ref i),
                "--bidirectional" => (bidirectional = true) && Back(ref i),
                "--load" => value is "down" or "up" && Set(() => loadUp = value == "up"),
                "--only-load" => (onlyLoad = true) && Back(ref i),
                "--surb-high" => int.TryParse(value, out int high) && Set(() => tunnelOptions.Surbs.HighWatermark = high),
                _ => false,
            };
            if (!ok)
            {
                bool help = args[i] is "--help" or "-h";
                Console.Error.WriteLine(help ? Usage : $"devnet-path: bad option or value at '{args[i]} {value}'\n{Usage}");
                return help ? 0 : 2;
            }

            i++;
        }

        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        await using var host = new BenchHost();
        if (which is "instant" or "all")
        {
            await RunInstantAsync(host, tunnelOptions, instantMib, seed).ConfigureAwait(false);
        }

        if (which is "nym" or "all")
        {
            await RunNymAsync(host, tunnelOptions, nymMib, samples, seed, trace, onlyLoad, loadUp, bidirectional).ConfigureAwait(false);
        }

        return 0;
    }

    private static bool Back(ref int i)
    {
        i--;
        return true;
    }

    private static bool Set(Action set)
    {
        set();
        return true;
    }

    private static async Task RunInstantAsync(BenchHost host, TunnelOptions tunnelOptions, int mib, int seed)
    {
        await using Session s = await Session.StartAsync(DevnetPreset.Instant, host, tunnelOptions, seed).ConfigureAwait(false);
        long bytes = mib * 1024L * 1024;
        Transfer down = await s.DownloadAsync(bytes).ConfigureAwait(false);
        Transfer up = await s.UploadAsync(bytes).ConfigureAwait(false);
        Print($"instant: {mib} MiB download {down.Seconds:0.00} s ({down.Rate / 1e6:0.0} MB/s) {down.Counters}");
        Print($"instant: {mib} MiB upload   {up.Seconds:0.00} s ({up.Rate / 1e6:0.0} MB/s) {up.Counters}");
        Print($"instant: upload/download = {up.Rate / down.Rate:0.000} (goal >= 0.67)");
    }

    private static async Task RunNymAsync(BenchHost host, TunnelOptions tunnelOptions, int mib, int samples, int seed, bool trace, bool onlyLoad, bool loadUp, bool bidirectional)
    {
        await using Session s = await Session.StartAsync(DevnetPreset.Nym, host, tunnelOptions, seed).ConfigureAwait(false);
        MixnetOptions m = s.Mixnet;
        double packetsPerSecond = 1 / m.SendingInterval!.Value.TotalSeconds;
        int mtu = s.Tunnel.Mtu;
        double ceiling = (mtu - 40.0) / (mtu + 2.0);
        double surbsPerPacket = m.PacketPayloadSize / (double)m.ReplySurbSize;
        double upLimit = packetsPerSecond * m.PacketPayloadSize * ceiling;
        double downLimit = packetsPerSecond * surbsPerPacket * m.PacketPayloadSize * ceiling;
        Print($"nym limits: sending rate {packetsPerSecond:0} packets/s x {m.PacketPayloadSize} B = {packetsPerSecond * m.PacketPayloadSize / 1000:0.0} kB/s; "
            + $"SURB-bound reply rate {packetsPerSecond:0} x {surbsPerPacket:0.00} SURBs/packet = {packetsPerSecond * surbsPerPacket:0} reply packets/s = {packetsPerSecond * surbsPerPacket * m.PacketPayloadSize / 1000:0.0} kB/s; "
            + $"header ceiling (MTU {mtu}: IPv4+TCP 40 B, bundle prefix 2 B) {ceiling:0.000}");
        Print($"nym limits: upload {upLimit / 1000:0.0} kB/s, download {downLimit / 1000:0.0} kB/s");

        // Latency on a quiet tunnel first.
        List<double> quiet = await s.RoundTripsAsync(samples, CancellationToken.None).ConfigureAwait(false);

        long bytes = mib * 1024L * 1024;
        if (bidirectional)
        {
            // A download while a bulk upload runs on another connection: the download's ACKs share the forward lanes.
            using var stopUpload = new CancellationTokenSource();
            Task upload = s.UploadUntilAsync(stopUpload.Token);
            await Task.Delay(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            Task tracingBoth = trace ? TraceAsync(s, stopUpload.Token) : Task.CompletedTask;
            Transfer both = await s.DownloadAsync(bytes).ConfigureAwait(false);
            await StopBulkAsync(stopUpload, upload).ConfigureAwait(false);
            await tracingBoth.ConfigureAwait(false);
            Print($"nym: {mib} MiB download during a bulk upload {both.Seconds:0.0} s = {both.Rate / 1000:0.0} kB/s = {both.Rate / downLimit:0.000} of the download limit {both.Counters}");
        }

        if (onlyLoad)
        {
            goto Loaded;
        }

        Transfer down = await s.DownloadAsync(bytes).ConfigureAwait(false);
        Print($"nym: {mib} MiB download {down.Seconds:0.0} s = {down.Rate / 1000:0.0} kB/s = {down.Rate / downLimit:0.000} of the limit (goal >= 0.9) {down.Counters}");
        Transfer up = await s.UploadAsync(bytes).ConfigureAwait(false);
        Print($"nym: {mib} MiB upload   {up.Seconds:0.0} s = {up.Rate / 1000:0.0} kB/s = {up.Rate / upLimit:0.000} of the limit (goal >= 0.9) {up.Counters}");

        // Sphinx packets per 1 MiB download: reply packets for the bytes, plus the forward packets
        // whose payload carries one SURB per reply packet.
        const long OneMib = 1024 * 1024;
        double replyPackets = OneMib / (m.PacketPayloadSize * ceiling);
        double lowerLimit = replyPackets * (1 + (m.ReplySurbSize / (double)m.PacketPayloadSize));
        Transfer one = await s.DownloadAsync(OneMib).ConfigureAwait(false);
        Print($"nym: 1 MiB download: {one.SphinxPackets} Sphinx packets ({one.ForwardPackets} forward, {one.ReplyPackets} reply); SURB-bound lower limit {lowerLimit:0} "
            + $"({replyPackets:0} reply + {lowerLimit - replyPackets:0} forward carrying their SURBs) = {one.SphinxPackets / lowerLimit:0.00}x (goal <= 1.25x)");

    // Latency under load: round trips on a second connection while a bulk download (or upload) runs.
    Loaded:
        using var stop = new CancellationTokenSource();
        Task tracing = trace ? TraceAsync(s, stop.Token) : Task.CompletedTask;
        Task bulk = loadUp ? s.UploadUntilAsync(stop.Token) : s.DownloadUntilAsync(stop.Token);
        await Task.Delay(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        List<double> loaded = await s.RoundTripsAsync(samples, CancellationToken.None).ConfigureAwait(false);
        await StopBulkAsync(stop, bulk).ConfigureAwait(false);
        await tracing.ConfigureAwait(false);
        double q50 = Percentile(quiet, 0.5), q90 = Percentile(quiet, 0.9), l50 = Percentile(loaded, 0.5), l90 = Percentile(loaded, 0.9);
        Print($"nym: 1 KiB request/response, n={samples}: quiet p50 {q50:0} ms p90 {q90:0} ms; under a bulk {(loadUp ? "upload" : "download")} p50 {l50:0} ms p90 {l90:0} ms; "
            + $"ratio p50 {l50 / q50:0.00} p90 {l90 / q90:0.00} (goal <= 1.5)");
    }

    /// <summary>Cancels a bulk transfer that runs until cancelled and waits for it (its cancellation and the aborted connection are expected).</summary>
    private static async Task StopBulkAsync(CancellationTokenSource stop, Task bulk)
    {
        await stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await bulk.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException)
        {
        }
    }

    /// <summary>Diagnostics: once a second, the Devnet's reply queue and both stacks' busy connections.</summary>
    private static async Task TraceAsync(Session s, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (!cancellationToken.IsCancellationRequested)
        {
            MixnetCounters m = s.Devnet.Counters.Mixnet;
            Print($"[{clock.Elapsed.TotalSeconds,5:0.0}s] devnet: replies waiting {m.RepliesWaiting}, Poisson queued {m.PacketsQueued}, SURB wait {m.SurbWaitDelay}, queueing {m.QueueingDelay}; lanes {s.Devnet.MixnetModel.DescribeSendingQueues()}");
            TraceStack("client", s.Tunnel.CurrentStack);
            TraceStack("nat", (s.Devnet.Egress as global::Smolmix.Devnet.Egress.UserspaceNatEgress)?.Stack);
            try
            {
                await Task.Delay(1000, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static void TraceStack(string name, NetStack? stack)
    {
        if (stack is null)
        {
            return;
        }

        lock (stack.Sync)
        {
            foreach (Smolmix.Tcp.TcpConnection c in stack.ConnectionsForTesting())
            {
                Print($"    {name} {c.State}: {c.TraceLine()}");
            }
        }
    }

    private static double Percentile(List<double> values, double p)
    {
        double[] sorted = [.. values.Order()];
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
    }

    private static void Print(string line) => Console.WriteLine(line);

    /// <summary>One transfer's time and what it cost.</summary>
    private sealed record Transfer(long Bytes, double Seconds, long ForwardPackets, long ReplyPackets, string Counters)
    {
        public double Rate => Bytes / Seconds;

        public long SphinxPackets => ForwardPackets + ReplyPackets;
    }

    /// <summary>A Devnet and a tunnel through it to <see cref="BenchHost"/>.</summary>
    private sealed class Session : IAsyncDisposable
    {
        private Session(Devnet.Devnet devnet, Tunnel tunnel, MixnetOptions mixnet)
        {
            Devnet = devnet;
            Tunnel = tunnel;
            Mixnet = mixnet;
        }

        public Devnet.Devnet Devnet { get; }

        public Tunnel Tunnel { get; }

        public MixnetOptions Mixnet { get; }

        public static async Task<Session> StartAsync(DevnetPreset preset, BenchHost host, TunnelOptions tunnelOptions, int seed)
        {
            var options = new DevnetOptions { Preset = preset, Seed = seed };
            options.AddressMap[Public] = host.EndPoint;
            Devnet.Devnet devnet = await global::Smolmix.Devnet.Devnet.StartAsync(options).ConfigureAwait(false);
            TunnelOptions o = tunnelOptions.Clone();
            o.NymClient = devnet.NymClientUri;
            o.Exits = [devnet.ExitAddress];
            Tunnel tunnel = await Tunnel.ConnectAsync(o).ConfigureAwait(false);
            return new Session(devnet, tunnel, options.Mixnet ?? MixnetOptions.ForPreset(preset));
        }

        public async ValueTask DisposeAsync()
        {
            await Tunnel.DisposeAsync().ConfigureAwait(false);
            await Devnet.DisposeAsync().ConfigureAwait(false);
        }

        public async Task<Transfer> UploadAsync(long bytes)
        {
            await using TcpStream stream = await Tunnel.ConnectTcpAsync(Public).ConfigureAwait(false);
            var snapshot = new Snapshot(this);
            var chunk = new byte[64 * 1024];
            Random.Shared.NextBytes(chunk);
            chunk[0] = Upload;
            var sw = Stopwatch.StartNew();
            for (long sent = 0; sent < bytes; sent += chunk.Length)
            {
                await stream.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, bytes - sent))).ConfigureAwait(false);
                chunk[0] = 0;
            }

            stream.ShutdownWrite();
            var count = new byte[8];
            await stream.ReadExactlyAsync(count).ConfigureAwait(false);
            double seconds = sw.Elapsed.TotalSeconds;
            long received = BinaryPrimitives.ReadInt64BigEndian(count);
            if (received != bytes)
            {
                throw new InvalidOperationException($"The host received {received} bytes of {bytes}.");
            }

            return snapshot.Finish(bytes, seconds);
        }

        public async Task<Transfer> DownloadAsync(long bytes)
        {
            await using TcpStream stream = await Tunnel.ConnectTcpAsync(Public).ConfigureAwait(false);
            var snapshot = new Snapshot(this);
            var request = new byte[9];
            request[0] = Download;
            BinaryPrimitives.WriteInt64BigEndian(request.AsSpan(1), bytes);
            var sw = Stopwatch.StartNew();
            await stream.WriteAsync(request).ConfigureAwait(false);
            long total = await DrainAsync(stream, CancellationToken.None).ConfigureAwait(false);
            double seconds = sw.Elapsed.TotalSeconds;
            if (total != bytes)
            {
                throw new InvalidOperationException($"Downloaded {total} bytes of {bytes}.");
            }

            return snapshot.Finish(bytes, seconds);
        }

        /// <summary>Downloads until cancelled (a long-running bulk transfer).</summary>
        public async Task DownloadUntilAsync(CancellationToken cancellationToken)
        {
            await using TcpStream stream = await Tunnel.ConnectTcpAsync(Public, cancellationToken).ConfigureAwait(false);
            var request = new byte[9];
            request[0] = Download;
            BinaryPrimitives.WriteInt64BigEndian(request.AsSpan(1), long.MaxValue / 2);
            await stream.WriteAsync(request, cancellationToken).ConfigureAwait(false);
            await DrainAsync(stream, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>Uploads until cancelled (a long-running bulk transfer the other way).</summary>
        public async Task UploadUntilAsync(CancellationToken cancellationToken)
        {
            await using TcpStream stream = await Tunnel.ConnectTcpAsync(Public, cancellationToken).ConfigureAwait(false);
            var chunk = new byte[64 * 1024];
            Random.Shared.NextBytes(chunk);
            chunk[0] = Upload;
            while (true)
            {
                await stream.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
                chunk[0] = 0;
            }
        }

        /// <summary>1 KiB requests each answered with 1 KiB on one connection; the round trips in ms.</summary>
        public async Task<List<double>> RoundTripsAsync(int count, CancellationToken cancellationToken)
        {
            await using TcpStream stream = await Tunnel.ConnectTcpAsync(Public, cancellationToken).ConfigureAwait(false);
            await stream.WriteAsync(new[] { RequestResponse }, cancellationToken).ConfigureAwait(false);
            var request = new byte[SmallMessage];
            var response = new byte[SmallMessage];
            var times = new List<double>(count);
            var forward = new List<double>(count);
            BenchHost.RequestArrivals.Clear();
            for (int i = 0; i < count; i++)
            {
                long start = Stopwatch.GetTimestamp();
                await stream.WriteAsync(request, cancellationToken).ConfigureAwait(false);
                await stream.ReadExactlyAsync(response, cancellationToken).ConfigureAwait(false);
                times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                if (BenchHost.RequestArrivals.TryDequeue(out long arrived))
                {
                    forward.Add(Stopwatch.GetElapsedTime(start, arrived).TotalMilliseconds);
                }
            }

            if (forward.Count > 0)
            {
                Print($"    round trips: p50 {Percentile(times, 0.5):0} ms, of which client -> host p50 {Percentile(forward, 0.5):0} ms p90 {Percentile(forward, 0.9):0} ms");
            }

            return times;
        }

        private static async Task<long> DrainAsync(Stream stream, CancellationToken cancellationToken)
        {
            var buffer = new byte[64 * 1024];
            long total = 0;
            int n;
            while ((n = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                total += n;
            }

            return total;
        }

        /// <summary>Counters at the start of a transfer, for the deltas at its end.</summary>
        private sealed class Snapshot(Session session)
        {
            private readonly MixnetCounters _mixnet = session.Devnet.Counters.Mixnet;
            private readonly long _forward = session.Tunnel.Metrics.SphinxPacketsSent;
            private readonly long _reply = session.Tunnel.Metrics.ReplySphinxPacketsReceived;
            private readonly long _messages = session.Tunnel.Metrics.MessagesSent;
            private readonly long _replies = session.Tunnel.Metrics.RepliesReceived;
            private readonly long _retransmits = session.Tunnel.StackMetrics?.TcpRetransmits ?? 0;
            private readonly long _drops = session.Tunnel.Metrics.PacketsDropped;
            private readonly long _timeouts = session.Tunnel.StackMetrics?.TcpTimeouts ?? 0;

            public Transfer Finish(long bytes, double seconds)
            {
                MixnetCounters m = session.Devnet.Counters.Mixnet;
                TunnelMetrics t = session.Tunnel.Metrics;
                long forward = t.SphinxPacketsSent - _forward;
                long reply = t.ReplySphinxPacketsReceived - _reply;
                string counters = string.Create(CultureInfo.InvariantCulture,
                    $"[client: {t.MessagesSent - _messages} messages / {forward} Sphinx packets sent, {t.RepliesReceived - _replies} replies / {reply} packets received, "
                    + $"{(session.Tunnel.StackMetrics?.TcpRetransmits ?? 0) - _retransmits} TCP retransmits ({(session.Tunnel.StackMetrics?.TcpTimeouts ?? 0) - _timeouts} RTOs), {t.PacketsDropped - _drops} tunnel drops; "
                    + $"devnet: {m.MessagesSent - _mixnet.MessagesSent} messages, {m.PacketsSent - _mixnet.PacketsSent} packets, {m.SurbRequests - _mixnet.SurbRequests} SURB requests, "
                    + $"{m.RepliesDeferred - _mixnet.RepliesDeferred} replies deferred, queueing {m.QueueingDelay}]");
                return new Transfer(bytes, seconds, forward, reply, counters);
            }
        }
    }

    /// <summary>
    /// The loopback host behind the Devnet. The first byte of a connection picks the service:
    /// <c>U</c> counts bytes to the end and answers the count, <c>D</c> + 8-byte length sends that
    /// many bytes, <c>R</c> answers every 1 KiB with 1 KiB.
    /// </summary>
    private sealed class BenchHost : IAsyncDisposable
    {
        private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _accept;
        private readonly byte[] _data = new byte[256 * 1024];

        /// <summary>When each 1 KiB request arrived (diagnostics: splits a round trip into its two ways).</summary>
        public static System.Collections.Concurrent.ConcurrentQueue<long> RequestArrivals { get; } = new();

        public BenchHost()
        {
            Random.Shared.NextBytes(_data);
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(64);
            _accept = AcceptLoopAsync();
        }

        public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            _listener.Dispose();
            try
            {
                await _accept.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }

            _stop.Dispose();
        }

        private async Task AcceptLoopAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                Socket peer = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
                peer.NoDelay = true;
                _ = Task.Run(() => ServeAsync(peer));
            }
        }

        private async Task ServeAsync(Socket peer)
        {
            using (peer)
            {
                try
                {
                    var buffer = new byte[64 * 1024];
                    if (await peer.ReceiveAsync(buffer.AsMemory(0, 1), SocketFlags.None, _stop.Token).ConfigureAwait(false) != 1)
                    {
                        return;
                    }

                    switch (buffer[0])
                    {
                        case Upload:
                            long total = 1;
                            int n;
                            while ((n = await peer.ReceiveAsync(buffer, SocketFlags.None, _stop.Token).ConfigureAwait(false)) > 0)
                            {
                                total += n;
                            }

                            BinaryPrimitives.WriteInt64BigEndian(buffer, total);
                            await peer.SendAsync(buffer.AsMemory(0, 8), SocketFlags.None, _stop.Token).ConfigureAwait(false);
                            break;
                        case Download:
                            await ReceiveExactlyAsync(peer, buffer.AsMemory(0, 8)).ConfigureAwait(false);
                            long length = BinaryPrimitives.ReadInt64BigEndian(buffer);
                            for (long sent = 0; sent < length;)
                            {
                                int chunk = (int)Math.Min(_data.Length, length - sent);
                                await peer.SendAsync(_data.AsMemory(0, chunk), SocketFlags.None, _stop.Token).ConfigureAwait(false);
                                sent += chunk;
                            }

                            break;
                        case RequestResponse:
                            while (await ReceiveExactlyAsync(peer, buffer.AsMemory(0, SmallMessage)).ConfigureAwait(false))
                            {
                                RequestArrivals.Enqueue(Stopwatch.GetTimestamp());
                                await peer.SendAsync(_data.AsMemory(0, SmallMessage), SocketFlags.None, _stop.Token).ConfigureAwait(false);
                            }

                            break;
                    }

                    peer.Shutdown(SocketShutdown.Send);
                }
                catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                }
            }
        }

        private async Task<bool> ReceiveExactlyAsync(Socket peer, Memory<byte> buffer)
        {
            int got = 0;
            while (got < buffer.Length)
            {
                int n = await peer.ReceiveAsync(buffer[got..], SocketFlags.None, _stop.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    return false;
                }

                got += n;
            }

            return true;
        }
    }
}
