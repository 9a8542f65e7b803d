using System.Diagnostics;
using System.Security.Cryptography;
using Smolmix.Devices;
using Smolmix.Wire;
using Xunit.Abstractions;

namespace Smolmix.Tests.Conformance;

/// <summary>
/// Stack to stack in real time through an <see cref="ImpairmentDevice"/>: jitter (and so reordering),
/// loss, duplication and corruption in both directions, seeded.
/// </summary>
public class ImpairedTransferTests(ITestOutputHelper output)
{
    private static ImpairmentOptions Impairment(int seed) => new()
    {
        Seed = seed,
        Jitter = DelayDistribution.Uniform(TimeSpan.Zero, TimeSpan.FromMilliseconds(10)), // 5 ms ± 5 ms
        LossRate = 0.02,
        DuplicateRate = 0.01,
        CorruptRate = 0.005,
    };

    [Theory]
    [InlineData(false, 8)]
    [InlineData(true, 2)]
    public async Task ConcurrentTransfer_BothWays_OverImpairedPath_ShaEqual(bool v6, int mebibytes)
    {
        ImpairmentDevice? impaired = null;
        var options = new StackOptions { RandomSeed = 7 };
        await using var p = StackPair.Create(options, options, wrapClientDevice: d => impaired = new ImpairmentDevice(d, Impairment(1), Impairment(2)));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var sw = Stopwatch.StartNew();
        var (c, s) = await p.ConnectAsync(443, v6, cts.Token);
        await using var _c = c;
        await using var _s = s;
        Assert.Equal(v6, c.RemoteEndPoint.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6);

        var up = TestUtil.Pattern(mebibytes << 20, 21);
        var down = TestUtil.Pattern(mebibytes << 20, 22);
        async Task Send(TcpStream st, byte[] d)
        {
            for (int off = 0; off < d.Length; off += 65536)
            {
                await st.WriteAsync(d.AsMemory(off, Math.Min(65536, d.Length - off)), cts.Token);
            }
            st.ShutdownWrite();
        }
        async Task<byte[]> Receive(TcpStream st)
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buf = new byte[65536];
            int n;
            while ((n = await st.ReadAsync(buf, cts.Token)) > 0)
            {
                sha.AppendData(buf, 0, n);
            }
            return sha.GetHashAndReset();
        }
        var sendUp = Task.Run(() => Send(c, up));
        var sendDown = Task.Run(() => Send(s, down));
        var recvUp = Task.Run(() => Receive(s));
        var recvDown = Task.Run(() => Receive(c));
        await Task.WhenAll(sendUp, sendDown, recvUp, recvDown).WaitAsync(cts.Token);
        sw.Stop();

        Assert.Equal(SHA256.HashData(up), await recvUp);
        Assert.Equal(SHA256.HashData(down), await recvDown);

        var outC = impaired!.OutboundCounters;
        var inC = impaired.InboundCounters;
        long badChecksum = p.Client.Metrics.Drops(DropReason.BadChecksum) + p.Server.Metrics.Drops(DropReason.BadChecksum);
        output.WriteLine($"{(v6 ? "IPv6" : "IPv4")} {mebibytes} MiB each way in {sw.Elapsed.TotalSeconds:0.00} s");
        output.WriteLine($"client→server: {outC}");
        output.WriteLine($"server→client: {inC}");
        output.WriteLine($"BadChecksum drops {badChecksum}, client drops {p.Client.Metrics.TotalDrops}, server drops {p.Server.Metrics.TotalDrops}");
        output.WriteLine($"retransmits client {p.Client.Metrics.TcpRetransmits} server {p.Server.Metrics.TcpRetransmits}, RTOs {p.Client.Metrics.TcpTimeouts}/{p.Server.Metrics.TcpTimeouts}");

        // The impairment really happened...
        Assert.True(outC.DroppedByLoss > 0 && inC.DroppedByLoss > 0);
        Assert.True(outC.Duplicated > 0 && inC.Duplicated > 0);
        long corrupted = outC.Corrupted + inC.Corrupted;
        Assert.True(corrupted > 0);
        // ...and corrupted packets were caught by checksums (a few flips land on fields that fail
        // earlier checks — version, lengths, addresses — and are counted under those reasons).
        Assert.InRange(badChecksum, Math.Max(1, corrupted / 2), corrupted);
    }
}
