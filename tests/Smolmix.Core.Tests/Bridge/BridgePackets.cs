using System.Buffers.Binary;

namespace Smolmix.Tests.Bridge;

/// <summary>Minimal IPv4/TCP packets (10.0.0.2 → 192.0.2.80:443, no options) for the bridge's queue tests.</summary>
internal static class BridgePackets
{
    /// <summary>The length of a packet with <paramref name="payload"/> bytes of data.</summary>
    public static int Length(int payload) => 40 + payload;

    /// <summary>Writes the packet into the first <see cref="Length"/> bytes of <paramref name="packet"/> (clearing them first).</summary>
    public static void Write(Span<byte> packet, ushort sourcePort, int payload, byte flags = 0x10, byte marker = 0)
    {
        int length = Length(payload);
        packet = packet[..length];
        packet.Clear();
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet[2..], (ushort)length);
        packet[8] = 64;
        packet[9] = 6;
        packet[12] = 10;
        packet[15] = 2;
        packet[16] = 192;
        packet[18] = 2;
        packet[19] = 80;
        BinaryPrimitives.WriteUInt16BigEndian(packet[20..], sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(packet[22..], 443);
        packet[32] = 5 << 4;
        packet[33] = flags;
        if (payload > 0)
        {
            packet[40] = marker;
        }
    }
}
