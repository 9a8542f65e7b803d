using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Smolmix.Devices;
using Smolmix.Simulation;
using Xunit.Abstractions;

namespace Smolmix.Tests.Conformance;

/// <summary>
/// RTT estimation must not be polluted by retransmissions (Karn): regressions found by the impaired
/// real-time transfer, reproduced deterministically on the simulated path (20 ms RTT) by "losing"
/// chosen segments — they are corrupted on the wire, so the receiver drops them on checksum.
/// </summary>
public class RttSamplingTests(ITestOutputHelper output)
{
    private static ImpairmentOptions Path => new() { BaseDelay = TimeSpan.FromMilliseconds(10) };

    private static bool IsTcp(ReadOnlySpan<byte> p, out int tcp) => (tcp = (p[0] & 15) * 4) > 0 && p[0] >> 4 == 4 && p[9] == 6;

    private static void Lose(ReadOnlyMemory<byte> packet)
    {
        // Flip a byte of the TCP header's checksum: the receiver drops it as BadChecksum.
        Assert.True(MemoryMarshal.TryGetArray(packet, out var seg));
        int tcp = (seg.Array![seg.Offset] & 15) * 4;
        seg.Array[seg.Offset + tcp + 16] ^= 0xFF;
    }

    private static long MaxSrtt(NetStack stack, long current)
    {
        lock (stack.Sync)
        {
            foreach (var c in stack.ConnectionsForTesting())
            {
                current = Math.Max(current, c.Info.SrttUs);
            }
        }
        return current;
    }

    [Fact]
    public void RepeatedlyLostRetransmission_DoesNotInflateSrtt()
    {
        var path = new SimulatedPath(Path, Path);
        uint? firstDataSeq = null;
        int victimTransmissions = 0;
        long maxSrtt = 0;
        path.Forward.Tap = (packet, _) =>
        {
            var p = packet.Span;
            if (!IsTcp(p, out int tcp))
            {
                return;
            }
            int dataOffset = (p[tcp + 12] >> 4) * 4;
            if (p.Length - tcp - dataOffset <= 0)
            {
                return;
            }
            uint seq = BinaryPrimitives.ReadUInt32BigEndian(p[(tcp + 4)..]);
            firstDataSeq ??= seq;
            // The segment carrying byte 200 000 is lost on its first transmission and its next five
            // retransmissions (the later ones are timeouts, with exponential backoff).
            uint rel = seq - firstDataSeq.Value;
            int len = p.Length - tcp - dataOffset;
            if (rel <= 200_000 && 200_000 < rel + len && victimTransmissions++ < 6)
            {
                Lose(packet);
            }
            maxSrtt = MaxSrtt(path.Client, maxSrtt);
        };
        var r = path.RunTransfer(2 << 20, TimeSpan.FromSeconds(120));
        output.WriteLine($"{r}; victim sent {victimTransmissions}×; max SRTT {maxSrtt / 1000.0:0.0} ms; BadChecksum {path.Server.Metrics.Drops(Smolmix.Wire.DropReason.BadChecksum)}");
        Assert.True(r.Completed && r.HashMatches);
        Assert.True(victimTransmissions >= 7, $"the victim segment went out {victimTransmissions}×");
        // RTO retransmissions carry a fresh TSval, so their echoes are true RTTs (20 ms, plus delayed ACKs).
        Assert.InRange(maxSrtt, 1, 30_000);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(30)]
    [InlineData(100)]
    public void RackRetransmissions_DoNotInflateSrtt(int every)
    {
        var path = new SimulatedPath(Path, Path);
        var seen = new HashSet<uint>();
        long maxSrtt = 0;
        int lost = 0;
        path.Forward.Tap = (packet, _) =>
        {
            var p = packet.Span;
            if (!IsTcp(p, out int tcp))
            {
                return;
            }
            int dataOffset = (p[tcp + 12] >> 4) * 4;
            if (p.Length - tcp - dataOffset <= 0)
            {
                return;
            }
            // Every n-th new segment is lost once; RACK retransmits it as later segments are SACKed.
            uint seq = BinaryPrimitives.ReadUInt32BigEndian(p[(tcp + 4)..]);
            if (seen.Add(seq) && seen.Count % every == 0)
            {
                lost++;
                Lose(packet);
            }
            maxSrtt = MaxSrtt(path.Client, maxSrtt);
        };
        var r = path.RunTransfer(4 << 20, TimeSpan.FromSeconds(120));
        output.WriteLine($"{r}; lost {lost}; max SRTT {maxSrtt / 1000.0:0.0} ms; rto {path.Client.Metrics.TcpTimeouts}");
        Assert.True(r.Completed && r.HashMatches);
        // The path RTT is exactly 20 ms; an echo of a RACK retransmission's reused TSval measures the loss episode.
        Assert.InRange(maxSrtt, 1, 22_000);
    }

    [Fact]
    public void LostSynAck_DoesNotYieldSynRetransmitTimeoutAsRttSample()
    {
        var path = new SimulatedPath(Path, Path);
        bool lostOne = false;
        long maxSrtt = 0;
        path.Reverse.Tap = (packet, _) =>
        {
            var p = packet.Span;
            if (IsTcp(p, out int tcp) && (p[tcp + 13] & 0x12) == 0x12 && !lostOne)
            {
                lostOne = true; // the first SYN-ACK: the client retransmits its SYN after SynRto (3 s)
                Lose(packet);
            }
        };
        path.Forward.Tap = (_, _) => maxSrtt = MaxSrtt(path.Client, maxSrtt);
        var r = path.RunTransfer(64 << 10, TimeSpan.FromSeconds(60));
        output.WriteLine($"{r}; max SRTT {maxSrtt / 1000.0:0.0} ms");
        Assert.True(lostOne);
        Assert.True(r.Completed && r.HashMatches);
        Assert.True(r.Elapsed > TimeSpan.FromSeconds(3), "the SYN should have been retransmitted");
        Assert.InRange(maxSrtt, 1, 22_000);
    }
}
