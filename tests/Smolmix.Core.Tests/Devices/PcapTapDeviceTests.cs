using Microsoft.Extensions.Time.Testing;
using Smolmix.Devices;

namespace Smolmix.Tests.Devices;

public class PcapTapDeviceTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task RecordsBothDirections_WithTheProvidersTimestamps()
    {
        var start = new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
        var time = new FakeTimeProvider(start);
        using var stream = new MemoryStream();
        var writer = new PcapWriter(stream, leaveOpen: true);
        var (inner, peer) = InMemoryPacketLink.CreatePair();
        var outbound = PcapWriterTests.UdpPacket("10.77.0.1", "10.77.0.2", 1000, 2000, "out"u8.ToArray());
        var inbound = PcapWriterTests.UdpPacket("10.77.0.2", "10.77.0.1", 2000, 1000, "in!"u8.ToArray());

        await using (var tap = new PcapTapDevice(inner, writer, timeProvider: time))
        {
            await using var _peer = peer;
            await tap.WriteAsync(outbound);
            var buffer = new byte[1500];
            Assert.Equal(outbound.Length, await peer.ReadAsync(buffer).AsTask().WaitAsync(Timeout));

            time.Advance(TimeSpan.FromMilliseconds(250));
            var read = tap.ReadAsync(buffer).AsTask();
            await peer.WriteAsync(inbound);
            Assert.Equal(inbound.Length, await read.WaitAsync(Timeout));
            Assert.Equal(inbound, buffer[..inbound.Length]);
        }

        var records = PcapRecord.ReadAll(stream.ToArray());
        Assert.Equal(2, records.Count);
        Assert.Equal(outbound, records[0].Data);
        Assert.Equal(start, records[0].Timestamp);
        Assert.Equal(inbound, records[1].Data);
        Assert.Equal(start.AddMilliseconds(250), records[1].Timestamp);
        Assert.Throws<ObjectDisposedException>(() => writer.Flush()); // the tap owned the writer
    }
}
