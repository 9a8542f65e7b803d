using System.Net;
using System.Net.Sockets;
using Smolmix.Devices;

namespace Smolmix.Benchmarks.Infrastructure;

/// <summary>A connected pair of byte streams and whatever must be disposed with them.</summary>
public sealed class StreamPair : IAsyncDisposable
{
    private readonly Func<ValueTask> _dispose;

    private StreamPair(string name, Stream sender, Stream receiver, Func<ValueTask> dispose, Func<StackCounters>? counters = null)
    {
        Counters = counters;
        Name = name;
        Sender = sender;
        Receiver = receiver;
        _dispose = dispose;
    }

    public string Name { get; }

    /// <summary>Smolmix only: cumulative counters of both stacks, to diff around a transfer.</summary>
    public Func<StackCounters>? Counters { get; }

    public Stream Sender { get; }

    public Stream Receiver { get; }

    /// <summary>
    /// Two Smolmix stacks joined by an <see cref="InMemoryPacketLink"/>; client sends to server. Both the
    /// link and <see cref="StackOptions.Mtu"/> get <paramref name="mtu"/> (the stack uses the smaller of the two).
    /// </summary>
    public static async Task<StreamPair> SmolmixInMemoryAsync(int mtu = 1420, StackOptions? options = null)
    {
        options = options?.Clone() ?? new StackOptions();
        options.Mtu = mtu;
        var (a, b) = InMemoryPacketLink.CreatePair(mtu);
        var client = NetStack.Start(a, IPAddress.Parse("10.0.0.2"), options: options);
        var server = NetStack.Start(b, IPAddress.Parse("10.0.0.1"), options: options);
        var listener = server.Listen(80);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var accept = listener.AcceptAsync(cts.Token).AsTask();
        var c = await client.ConnectTcpAsync(new IPEndPoint(IPAddress.Parse("10.0.0.1"), 80), cancellationToken: cts.Token).ConfigureAwait(false);
        var s = await accept.ConfigureAwait(false);
        return new StreamPair($"smolmix in-memory (MTU {mtu})", c, s, async () =>
        {
            c.Abort();
            s.Abort();
            await c.DisposeAsync().ConfigureAwait(false);
            await s.DisposeAsync().ConfigureAwait(false);
            listener.Dispose();
            await client.DisposeAsync().ConfigureAwait(false);
            await server.DisposeAsync().ConfigureAwait(false);
            await a.DisposeAsync().ConfigureAwait(false);
            await b.DisposeAsync().ConfigureAwait(false);
        }, () => new StackCounters(client.Metrics.PacketsOut, server.Metrics.PacketsOut, client.Metrics.TcpRetransmits,
            client.Metrics.TcpTimeouts, client.Metrics.TotalDrops + server.Metrics.TotalDrops, DropSummary(client, server)));
    }

    /// <summary>
    /// Linux kernel TCP over 127.0.0.1. <paramref name="mss"/> (TCP_MAXSEG) clamps the segment size,
    /// e.g. to Smolmix's 1380 so both stacks handle the same number of segments; 0 keeps the loopback
    /// default (MTU 65536).
    /// </summary>
    public static async Task<StreamPair> KernelLoopbackAsync(int mss = 0)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (mss > 0)
        {
            SetMss(listener, mss);
        }
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (mss > 0)
        {
            SetMss(client, mss);
        }
        var accept = listener.AcceptAsync();
        await client.ConnectAsync(listener.LocalEndPoint!).ConfigureAwait(false);
        var server = await accept.ConfigureAwait(false);
        var c = new NetworkStream(client, ownsSocket: true);
        var s = new NetworkStream(server, ownsSocket: true);
        // Report the MSS the kernel actually uses (TCP_MAXSEG read back after the handshake).
        var effective = new byte[4];
        client.GetRawSocketOption(6, 2, effective);
        string name = $"kernel loopback (MSS {BitConverter.ToInt32(effective)})";
        return new StreamPair(name, c, s, async () =>
        {
            await c.DisposeAsync().ConfigureAwait(false);
            await s.DisposeAsync().ConfigureAwait(false);
        });
    }

    private static string DropSummary(NetStack sender, NetStack receiver)
    {
        var parts = new List<string>();
        foreach (var reason in Enum.GetValues<Wire.DropReason>())
        {
            long a = sender.Metrics.Drops(reason), b = receiver.Metrics.Drops(reason);
            if (a + b > 0)
            {
                parts.Add($"{reason} {a}/{b}");
            }
        }
        return string.Join(", ", parts);
    }

    private static void SetMss(Socket socket, int mss)
    {
        // TCP_MAXSEG (Linux: level IPPROTO_TCP = 6, option 2).
        socket.SetRawSocketOption(6, 2, BitConverter.GetBytes(mss));
    }

    /// <summary>
    /// Writes <paramref name="bytes"/> from <paramref name="sender"/> in <paramref name="writeSize"/> chunks while
    /// a concurrent loop reads them from <paramref name="receiver"/> in <paramref name="readSize"/> chunks.
    /// </summary>
    public static async Task TransferAsync(Stream sender, Stream receiver, long bytes, byte[] writeBuffer, byte[] readBuffer, int writeSize)
    {
        var read = Task.Run(async () =>
        {
            long got = 0;
            while (got < bytes)
            {
                int n = await receiver.ReadAsync(readBuffer.AsMemory(0, (int)Math.Min(readBuffer.Length, bytes - got))).ConfigureAwait(false);
                if (n == 0)
                {
                    throw new EndOfStreamException($"Stream ended after {got} of {bytes} bytes.");
                }
                got += n;
            }
        });
        long sent = 0;
        while (sent < bytes)
        {
            int n = (int)Math.Min(writeSize, bytes - sent);
            await sender.WriteAsync(writeBuffer.AsMemory(0, n)).ConfigureAwait(false);
            sent += n;
        }
        await read.ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _dispose();
}

/// <summary>Counters of a sender/receiver pair of Smolmix stacks.</summary>
public readonly record struct StackCounters(long SenderPackets, long ReceiverPackets, long Retransmits, long Timeouts, long Drops, string DropReasons = "")
{
    public static StackCounters operator -(StackCounters a, StackCounters b) => new(a.SenderPackets - b.SenderPackets,
        a.ReceiverPackets - b.ReceiverPackets, a.Retransmits - b.Retransmits, a.Timeouts - b.Timeouts, a.Drops - b.Drops, a.DropReasons);

    public override string ToString() =>
        $"data pkts {SenderPackets}, ACK pkts {ReceiverPackets}, retx {Retransmits}, RTO {Timeouts}, drops {Drops}" + (Drops > 0 ? $" (cumulative sender/receiver: {DropReasons})" : "");
}
