using System.Net;
using System.Text;
using Smolmix.Bridge;
using Smolmix.Nym;
using Xunit.Abstractions;

namespace Smolmix.Tests.Tunnel;

/// <summary>
/// What the uplink costs in Sphinx packets: our bundling and adaptive SURBs against the Rust
/// anchor's scheme (every IP packet in its own LP-framed message with 10 reply SURBs), computed
/// from the same packet trace.
/// </summary>
public sealed class SphinxCostTests(ITestOutputHelper output)
{
    private const int AnchorSurbsPerMessage = 10;

    [Fact]
    public async Task OneMebibyteDownloadCostsAtLeastThreeTimesFewerSphinxPacketsThanTheAnchorScheme()
    {
        const int size = 1 << 20;
        await using var net = new FakeMixnet();
        FakeInternetExit exit = net.AddExit(10);
        exit.ReplyInterval = TimeSpan.FromMilliseconds(2); // ~500 reply packets/s, a busy mixnet client
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        InternetServers.StartTcp(exit.Internet, cts.Token);
        await using Smolmix.Tunnel tunnel = await Smolmix.Tunnel.ConnectAsync(net.Options(exit), cts.Token);

        long packetsBefore = tunnel.Metrics.SphinxPacketsSent;
        long messagesBefore = tunnel.Metrics.MessagesSent;
        long surbsBefore = tunnel.Metrics.SurbsSent;
        exit.UplinkPackets.Clear();

        await using (TcpStream stream = await tunnel.ConnectTcpAsync(new IPEndPoint(IPAddress.Parse("203.0.113.80"), 80), cts.Token))
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {size}\n"), cts.Token);
            var buffer = new byte[64 * 1024];
            var expected = new byte[buffer.Length];
            long total = 0;
            while (true)
            {
                int n = await stream.ReadAsync(buffer, cts.Token);
                if (n == 0)
                {
                    break;
                }

                InternetServers.Pattern(expected.AsSpan(0, n), total);
                Assert.True(buffer.AsSpan(0, n).SequenceEqual(expected.AsSpan(0, n)), $"content differs near offset {total}");
                total += n;
            }

            Assert.Equal(size, total);
            stream.ShutdownWrite();
            await stream.WaitForSendCompletionAsync(cts.Token);
        }

        // Let the last messages reach the exit.
        await Task.Delay(200, cts.Token);
        long ours = tunnel.Metrics.SphinxPacketsSent - packetsBefore;
        int[] trace = [.. exit.UplinkPackets];
        long anchor = 0;
        long anchorBytes = 0;
        foreach (int length in trace)
        {
            int message = LpFrame.HeaderLength + IprRequest.DataHeaderLength(PacketBundle.RecordLength(length)) + PacketBundle.RecordLength(length);
            anchor += SphinxEstimate.ForwardPackets(message, AnchorSurbsPerMessage);
            anchorBytes += SphinxEstimate.ForwardPayloadBytes(message, AnchorSurbsPerMessage);
        }

        output.WriteLine($"1 MiB download: client sent {trace.Length} IP packets ({trace.Sum()} bytes).");
        output.WriteLine($"  ours:   {ours} Sphinx packets in {tunnel.Metrics.MessagesSent - messagesBefore} messages, {tunnel.Metrics.SurbsSent - surbsBefore} SURBs; exit starved of SURBs for {exit.StarvedReplies} of {exit.ReplyPackets} reply packets");
        output.WriteLine($"  anchor: {anchor} Sphinx packets in {trace.Length} messages, {trace.Length * AnchorSurbsPerMessage} SURBs ({anchorBytes} bytes of Sphinx payload)");
        // Where the exit ran out of SURBs a real one asks nym-client for more, which answers with
        // SURB-only messages (3 per Sphinx packet): charge those to us.
        long topUp = (exit.StarvedReplies + 2) / 3;
        output.WriteLine($"  ours incl. SURB top-ups the exit would have requested: {ours + topUp}");
        output.WriteLine($"  ratio:  {(double)anchor / (ours + topUp):0.00}x");
        Assert.True(trace.Length > 300, "the download should need hundreds of ACKs");
        Assert.True(anchor >= 3 * (ours + topUp), $"ours {ours} (+{topUp}) vs anchor {anchor}");
    }
}
