using System.Diagnostics;
using System.Net;
using PacketDotNet;
using Smolmix.Devices;

namespace Smolmix.Tests.Devices;

public class PcapWriterTests
{
    private static readonly DateTimeOffset When = new(2024, 1, 2, 3, 4, 5, TimeSpan.Zero);

    internal static byte[] UdpPacket(string source, string destination, ushort sourcePort, ushort destinationPort, byte[] payload)
    {
        var udp = new UdpPacket(sourcePort, destinationPort) { PayloadData = payload };
        var ip = new IPv4Packet(IPAddress.Parse(source), IPAddress.Parse(destination)) { PayloadPacket = udp, TimeToLive = 64 };
        udp.UpdateUdpChecksum();
        ip.UpdateIPChecksum();
        return ip.Bytes;
    }

    private static byte[] Udp6Packet(byte[] payload)
    {
        var udp = new UdpPacket(40001, 9999) { PayloadData = payload };
        var ip = new IPv6Packet(IPAddress.Parse("fd00::1"), IPAddress.Parse("fd00::2")) { PayloadPacket = udp, HopLimit = 64 };
        udp.UpdateUdpChecksum();
        return ip.Bytes;
    }

    [Fact]
    public void Header_AndRecords_HaveTheClassicPcapLayout()
    {
        using var stream = new MemoryStream();
        using (var writer = new PcapWriter(stream, leaveOpen: true))
        {
            writer.WritePacket(new byte[] { 0x45, 1, 2, 3 }, When.AddTicks(1_234_567)); // +0.1234567 s
        }

        byte[] file = stream.ToArray();
        byte[] expectedHeader =
        [
            0xD4, 0xC3, 0xB2, 0xA1, // magic 0xa1b2c3d4, little-endian
            0x02, 0x00, 0x04, 0x00, // version 2.4
            0, 0, 0, 0, 0, 0, 0, 0, // thiszone, sigfigs
            0xFF, 0xFF, 0x00, 0x00, // snaplen 65535
            0x65, 0x00, 0x00, 0x00, // LINKTYPE_RAW = 101
        ];
        Assert.Equal(expectedHeader, file[..24]);

        uint seconds = (uint)When.ToUnixTimeSeconds();
        Assert.Equal(BitConverter.GetBytes(seconds), file[24..28]);
        Assert.Equal(BitConverter.GetBytes(123_456u), file[28..32]);
        Assert.Equal(BitConverter.GetBytes(4u), file[32..36]);
        Assert.Equal(BitConverter.GetBytes(4u), file[36..40]);
        Assert.Equal(new byte[] { 0x45, 1, 2, 3 }, file[40..]);
    }

    [Fact]
    public void LongPackets_AreTruncatedToTheSnapLength()
    {
        using var stream = new MemoryStream();
        using (var writer = new PcapWriter(stream, leaveOpen: true))
        {
            writer.WritePacket(new byte[70_000], When);
        }

        var record = Assert.Single(PcapRecord.ReadAll(stream.ToArray()));
        Assert.Equal(PcapWriter.SnapLength, record.Data.Length);
        Assert.Equal(70_000, record.OriginalLength);
    }

    [Fact]
    public async Task ConcurrentWriters_ProduceWholeRecords()
    {
        using var stream = new MemoryStream();
        using (var writer = new PcapWriter(stream, leaveOpen: true))
        {
            await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(() =>
            {
                for (int i = 0; i < 2000; i++)
                {
                    var packet = new byte[20 + (i % 100)];
                    Array.Fill(packet, (byte)t);
                    writer.WritePacket(packet, When.AddMilliseconds(i));
                }
            }))).WaitAsync(TimeSpan.FromSeconds(30));
        }

        var records = PcapRecord.ReadAll(stream.ToArray());
        Assert.Equal(8000, records.Count);
        Assert.All(records, r => Assert.All(r.Data, b => Assert.Equal(r.Data[0], b)));
    }

    [Fact]
    public void Dispose_ClosesTheStream_AndLaterWritesThrow()
    {
        var stream = new MemoryStream();
        var writer = new PcapWriter(stream);
        writer.Dispose();
        writer.Dispose();
        Assert.False(stream.CanWrite);
        Assert.Throws<ObjectDisposedException>(() => writer.WritePacket(new byte[] { 0x45 }, When));
    }

    [SkippableFact]
    public void Tshark_ReadsTheFile_WithoutMalformedPackets()
    {
        string? tshark = FindOnPath("tshark");
        Skip.If(tshark is null, "tshark is not installed");

        string path = Path.Combine(Path.GetTempPath(), $"smolmix-{Guid.NewGuid():N}.pcap");
        try
        {
            using (var writer = new PcapWriter(path))
            {
                writer.WritePacket(UdpPacket("10.77.0.1", "10.77.0.2", 40000, 9999, "hello"u8.ToArray()), When);
                writer.WritePacket(UdpPacket("10.77.0.2", "10.77.0.1", 9999, 40000, new byte[1000]), When.AddMilliseconds(1));
                writer.WritePacket(Udp6Packet("six"u8.ToArray()), When.AddMilliseconds(2));
            }

            var startInfo = new ProcessStartInfo(tshark!, ["-n", "-r", path])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var process = Process.Start(startInfo)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail("tshark did not finish within 60 s");
            }

            Assert.True(Task.WaitAll([stdout, stderr], TimeSpan.FromSeconds(10)));
            string output = stdout.Result;
            Assert.True(process.ExitCode == 0, $"tshark failed: {stderr.Result}");
            Assert.DoesNotContain("Malformed", output, StringComparison.OrdinalIgnoreCase);
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(3, lines.Length);
            Assert.Contains("10.77.0.1", lines[0]);
            Assert.Contains("9999", lines[0]);
            Assert.Contains("fd00::1", lines[2]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);
}
