using System.Globalization;
using System.Net;
using Smolmix.Devices;

namespace Smolmix.Benchmarks;

/// <summary>
/// <c>idle-connections</c>: opens N TCP connections between two stacks joined in memory, lets them go
/// idle, and prints the managed memory each idle endpoint holds (both ends of every connection count,
/// so 2N endpoints), measured as the heap after a full collection with the connections open minus
/// the heap with the stacks alone. With <c>--transfer-kib K</c> every connection first moves K KiB each
/// way (so its rings grow) and then idles for <c>--idle-seconds</c> before the measurement: busy-then-idle
/// connections. Goal: at most 16 KiB per endpoint.
/// </summary>
public static class IdleConnectionsBenchmark
{
    private const string Usage = "idle-connections [--count N (10000)] [--transfer-kib K (0)] [--idle-seconds S (2; 10 with a transfer)]";
    private const double GoalKiB = 16;

    public static async Task<int> RunAsync(string[] args)
    {
        int count = 10_000;
        int transferKiB = 0;
        int idleSeconds = -1;
        for (int i = 0; i < args.Length; i++)
        {
            string? value = i + 1 < args.Length ? args[i + 1] : null;
            if (args[i] == "--count" && int.TryParse(value, out count) && count is > 0 and <= 1_000_000)
            {
                i++;
                continue;
            }

            if (args[i] == "--transfer-kib" && int.TryParse(value, out transferKiB) && transferKiB is >= 0 and <= 1024 * 1024)
            {
                i++;
                continue;
            }

            if (args[i] == "--idle-seconds" && int.TryParse(value, out idleSeconds) && idleSeconds is >= 0 and <= 3600)
            {
                i++;
                continue;
            }

            bool help = args[i] is "--help" or "-h";
            Console.Error.WriteLine(help ? Usage : $"idle-connections: bad option or value at '{args[i]} {value}'\n{Usage}");
            return help ? 0 : 2;
        }

        var (a, b) = InMemoryPacketLink.CreatePair(capacity: 65536);
        await using NetStack client = NetStack.Start(a, IPAddress.Parse("10.0.0.2"));
        await using NetStack server = NetStack.Start(b, IPAddress.Parse("10.0.0.1"));
        long baseline = Heap();

        var clients = new List<TcpStream>(count);
        var servers = new List<TcpStream>(count);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(30));
        const int PerListener = 16_000; // one listener per port: the client has 16,384 ephemeral ports per remote endpoint
        for (int opened = 0; opened < count;)
        {
            int port = 1000 + (opened / PerListener);
            using TcpStreamListener listener = server.Listen(port);
            int batch = Math.Min(PerListener, count - opened);
            for (int i = 0; i < batch; i += 100)
            {
                int n = Math.Min(100, batch - i);
                Task<TcpStream>[] accepts = Enumerable.Range(0, n).Select(_ => listener.AcceptAsync(cts.Token).AsTask()).ToArray();
                TcpStream[] connected = await Task.WhenAll(Enumerable.Range(0, n).Select(_ => client.ConnectTcpAsync(new IPEndPoint(IPAddress.Parse("10.0.0.1"), port), TimeSpan.FromSeconds(30), cts.Token))).ConfigureAwait(false);
                TcpStream[] acceptedBatch = await Task.WhenAll(accepts).ConfigureAwait(false);
                clients.AddRange(connected);
                servers.AddRange(acceptedBatch);
                if (transferKiB > 0)
                {
                    // Both ends send and receive at once, so every endpoint's send and receive rings grow.
                    await Task.WhenAll(connected.Zip(acceptedBatch, (c, s) => ExchangeAsync(c, s, transferKiB * 1024, cts.Token))).ConfigureAwait(false);
                }
            }

            opened += batch;
        }

        // Let the handshakes' last ACKs settle; after a transfer, idle past the stack's buffer release delay.
        await Task.Delay(TimeSpan.FromSeconds(idleSeconds >= 0 ? idleSeconds : transferKiB > 0 ? 10 : 2), cts.Token).ConfigureAwait(false);
        long withConnections = Heap();
        double perEndpoint = (withConnections - baseline) / (2.0 * count) / 1024;
        double buffersPerEndpoint = (BufferBytes(client, clients) + BufferBytes(server, servers)) / (2.0 * count) / 1024;
        string kind = transferKiB > 0 ? string.Create(CultureInfo.InvariantCulture, $"busy-then-idle endpoint ({transferKiB} KiB each way)") : "idle endpoint";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"idle-connections: {count} connections ({2 * count} endpoints), managed heap +{(withConnections - baseline) / (1024.0 * 1024):0.0} MiB, {perEndpoint:0.0} KiB per {kind} (goal <= {GoalKiB} KiB){(perEndpoint <= GoalKiB ? string.Empty : " - not met")}, of which TCP buffers (rings, queues) {buffersPerEndpoint:0.0} KiB"));
        foreach (TcpStream s in clients.Concat(servers))
        {
            s.Abort();
        }

        await a.DisposeAsync().ConfigureAwait(false);
        await b.DisposeAsync().ConfigureAwait(false);
        return 0;
    }

    /// <summary>Bytes the connections behind <paramref name="streams"/> hold in buffers now.</summary>
    private static long BufferBytes(NetStack stack, List<TcpStream> streams)
    {
        long total = 0;
        lock (stack.Sync)
        {
            foreach (TcpStream s in streams)
            {
                total += s.Connection.BufferBytes;
            }
        }

        return total;
    }

    /// <summary>Each end writes <paramref name="bytes"/> and reads the other's <paramref name="bytes"/>, checking every byte.</summary>
    private static async Task ExchangeAsync(TcpStream client, TcpStream server, int bytes, CancellationToken cancellationToken)
    {
        await Task.WhenAll(
            PumpAsync(client, server, bytes, 1, cancellationToken),
            PumpAsync(server, client, bytes, 2, cancellationToken)).ConfigureAwait(false);
    }

    private static async Task PumpAsync(TcpStream from, TcpStream to, int bytes, byte seed, CancellationToken cancellationToken)
    {
        var data = new byte[bytes];
        for (int i = 0; i < bytes; i++)
        {
            data[i] = (byte)(i * 31 + seed);
        }

        Task write = from.WriteAsync(data, cancellationToken).AsTask();
        var received = new byte[bytes];
        await to.ReadExactlyAsync(received, cancellationToken).ConfigureAwait(false);
        await write.ConfigureAwait(false);
        if (!received.AsSpan().SequenceEqual(data))
        {
            throw new InvalidOperationException("idle-connections: the transfer arrived corrupted");
        }
    }

    private static long Heap()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
