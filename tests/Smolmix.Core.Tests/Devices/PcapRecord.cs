using System.Buffers.Binary;

namespace Smolmix.Tests.Devices;

/// <summary>One record of a classic pcap file, parsed independently of the writer under test.</summary>
internal sealed record PcapRecord(DateTimeOffset Timestamp, byte[] Data, int OriginalLength)
{
    /// <summary>Parses a whole little-endian, microsecond, LINKTYPE_RAW pcap file.</summary>
    public static List<PcapRecord> ReadAll(byte[] file)
    {
        Assert.True(file.Length >= 24, "pcap file shorter than its header");
        Assert.Equal(0xA1B2C3D4u, BinaryPrimitives.ReadUInt32LittleEndian(file));
        var records = new List<PcapRecord>();
        int offset = 24;
        while (offset < file.Length)
        {
            var header = file.AsSpan(offset, 16);
            long seconds = BinaryPrimitives.ReadUInt32LittleEndian(header);
            long micros = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
            int captured = (int)BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
            int original = (int)BinaryPrimitives.ReadUInt32LittleEndian(header[12..]);
            Assert.InRange(micros, 0, 999_999);
            Assert.True(captured <= original);
            var data = file.AsSpan(offset + 16, captured).ToArray();
            records.Add(new PcapRecord(DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(micros * 10), data, original));
            offset += 16 + captured;
        }

        Assert.Equal(file.Length, offset);
        return records;
    }
}
