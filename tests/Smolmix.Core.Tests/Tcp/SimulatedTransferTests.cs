using Smolmix.Devices;
using Smolmix.Simulation;
using Xunit.Abstractions;

namespace Smolmix.Tests.Tcp;

public class SimulatedTransferTests
{
    private readonly ITestOutputHelper _out;

    public SimulatedTransferTests(ITestOutputHelper output) => _out = output;

    [Fact]
    public void CleanPath_TransfersByteExact()
    {
        var path = new SimulatedPath(null, null);
        var r = path.RunTransfer(1 << 20, TimeSpan.FromSeconds(60));
        _out.WriteLine($"{r}");
        Assert.True(r.Completed);
        Assert.True(r.HashMatches);
        Assert.Equal(0, r.Retransmits);
    }

    [Theory]
    [InlineData(0.0, 11)]
    [InlineData(0.01, 12)]
    [InlineData(0.0, 13)]
    [InlineData(0.01, 14)]
    public void Explore4MiB(double loss, int seed)
    {
        ImpairmentOptions Dir(int s) => new()
        {
            Seed = s,
            LossRate = loss,
            BaseDelay = TimeSpan.FromMilliseconds(350),
            Jitter = DelayDistribution.Uniform(TimeSpan.Zero, TimeSpan.FromMilliseconds(300)),
            RateBytesPerSecond = 100_000,
        };
        var path = new SimulatedPath(Dir(seed), Dir(seed + 100));
        var counts = new Dictionary<uint, int>();
        path.Forward.Tap = (p, t) =>
        {
            var span = p.Span;
            int ihl = (span[0] & 15) * 4;
            int doff = (span[ihl + 12] >> 4) * 4;
            if (span.Length - ihl - doff > 0)
            {
                uint seq = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(span[(ihl + 4)..]);
                counts[seq] = counts.GetValueOrDefault(seq) + 1;
            }
        };
        var r = path.RunTransfer(4 << 20, TimeSpan.FromSeconds(600));
        _out.WriteLine("xmit histogram: " + string.Join(", ", counts.Values.GroupBy(v => v).OrderBy(g => g.Key).Select(g => $"{g.Key}x:{g.Count()}")));
        double rate = r.Bytes / r.DataElapsed.TotalSeconds;
        _out.WriteLine($"loss {loss}: {r.Bytes} B in {r.DataElapsed.TotalSeconds:0.0} s = {rate / 1000:0.0} kB/s; retx {r.Retransmits}; {r.SenderInfo}");
        var m = path.Client.Metrics;
        _out.WriteLine($"   rto {m.TcpTimeouts} tlp {m.TcpTailLossProbes} recov {m.TcpRecoveries} undo {m.TcpSpuriousUndos} dsack {m.TcpDsacksReceived} fwdLost {path.Forward.Counters?.DroppedByLoss} revLost {path.Reverse.Counters?.DroppedByLoss} fwdPk {path.Forward.Packets} revPk {path.Reverse.Packets}");
    }

    [Theory]
    [InlineData(0.0, 1)]
    [InlineData(0.01, 2)]
    [InlineData(0.05, 3)]
    public void MixnetPath_TransfersByteExact(double loss, int seed)
    {
        ImpairmentOptions Dir(int s) => new()
        {
            Seed = s,
            LossRate = loss,
            BaseDelay = TimeSpan.FromMilliseconds(350),
            Jitter = DelayDistribution.Uniform(TimeSpan.Zero, TimeSpan.FromMilliseconds(300)),
            RateBytesPerSecond = 100_000,
        };
        var path = new SimulatedPath(Dir(seed), Dir(seed + 100));
        var r = path.RunTransfer(1 << 20, TimeSpan.FromSeconds(600));
        double rate = r.Bytes / r.DataElapsed.TotalSeconds;
        _out.WriteLine($"loss {loss}: {r.Bytes} B in {r.DataElapsed.TotalSeconds:0.0} s = {rate / 1000:0.0} kB/s; retx {r.Retransmits}; {r.SenderInfo}");
        Assert.True(r.Completed, $"did not complete: {r}");
        Assert.True(r.HashMatches);
    }
}
