using System.Buffers.Binary;

namespace Smolmix.Wire;

/// <summary>
/// A validated view over an ICMPv4 (RFC 792) or ICMPv6 (RFC 4443) message: type, code, the
/// 4-byte rest-of-header and the body.
/// </summary>
internal readonly ref struct IcmpHeader
{
    /// <summary>Header length (type, code, checksum, rest of header).</summary>
    public const int Length = 8;

    /// <summary>ICMPv4 echo reply.</summary>
    public const byte V4EchoReply = 0;
    /// <summary>ICMPv4 destination unreachable.</summary>
    public const byte V4DestinationUnreachable = 3;
    /// <summary>ICMPv4 echo request.</summary>
    public const byte V4EchoRequest = 8;
    /// <summary>ICMPv4 time exceeded.</summary>
    public const byte V4TimeExceeded = 11;
    /// <summary>ICMPv4 unreachable code: protocol unreachable.</summary>
    public const byte V4CodeProtocolUnreachable = 2;
    /// <summary>ICMPv4 unreachable code: port unreachable.</summary>
    public const byte V4CodePortUnreachable = 3;
    /// <summary>ICMPv4 unreachable code: fragmentation needed and DF set.</summary>
    public const byte V4CodeFragmentationNeeded = 4;
    /// <summary>ICMPv6 destination unreachable.</summary>
    public const byte V6DestinationUnreachable = 1;
    /// <summary>ICMPv6 packet too big.</summary>
    public const byte V6PacketTooBig = 2;
    /// <summary>ICMPv6 time exceeded.</summary>
    public const byte V6TimeExceeded = 3;
    /// <summary>ICMPv6 echo request.</summary>
    public const byte V6EchoRequest = 128;
    /// <summary>ICMPv6 echo reply.</summary>
    public const byte V6EchoReply = 129;
    /// <summary>ICMPv6 unreachable code: port unreachable.</summary>
    public const byte V6CodePortUnreachable = 4;

    private readonly ReadOnlySpan<byte> _message;

    private IcmpHeader(ReadOnlySpan<byte> message) => _message = message;

    /// <summary>Type.</summary>
    public byte Type => _message[0];

    /// <summary>Code.</summary>
    public byte Code => _message[1];

    /// <summary>Echo identifier (echo messages).</summary>
    public ushort Identifier => BinaryPrimitives.ReadUInt16BigEndian(_message[4..]);

    /// <summary>Echo sequence number (echo messages).</summary>
    public ushort SequenceNumber => BinaryPrimitives.ReadUInt16BigEndian(_message[6..]);

    /// <summary>Next-hop MTU of an ICMPv4 fragmentation-needed message.</summary>
    public int V4NextHopMtu => BinaryPrimitives.ReadUInt16BigEndian(_message[6..]);

    /// <summary>MTU of an ICMPv6 packet-too-big message.</summary>
    public uint V6Mtu => BinaryPrimitives.ReadUInt32BigEndian(_message[4..]);

    /// <summary>Body after the 8-byte header (echo data, or the quoted packet of an error).</summary>
    public ReadOnlySpan<byte> Body => _message[Length..];

    /// <summary>The whole message.</summary>
    public ReadOnlySpan<byte> Message => _message;

    /// <summary>Parses and verifies the checksum (pseudo-header for ICMPv6).</summary>
    public static bool TryParse(ReadOnlySpan<byte> message, bool v6, in IpAddr source, in IpAddr destination,
        out IcmpHeader header, out DropReason reason)
    {
        header = default;
        if (message.Length < Length)
        {
            reason = DropReason.Truncated;
            return false;
        }
        ulong sum = v6 ? InternetChecksum.PseudoHeader(source, destination, IpProtocol.Icmpv6, message.Length) : 0;
        if (InternetChecksum.Finish(InternetChecksum.Add(message, sum)) != 0)
        {
            reason = DropReason.BadChecksum;
            return false;
        }
        header = new IcmpHeader(message);
        reason = DropReason.None;
        return true;
    }

    /// <summary>
    /// Writes an ICMP header (type, code, rest-of-header) in front of a body that must already
    /// follow it, and fills the checksum. Returns 8.
    /// </summary>
    public static int Write(Span<byte> destination, bool v6, byte type, byte code, uint restOfHeader, int bodyLength,
        in IpAddr source, in IpAddr dest)
    {
        destination[0] = type;
        destination[1] = code;
        destination[2] = 0;
        destination[3] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], restOfHeader);
        int len = Length + bodyLength;
        ulong sum = v6 ? InternetChecksum.PseudoHeader(source, dest, IpProtocol.Icmpv6, len) : 0;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], InternetChecksum.Finish(InternetChecksum.Add(destination[..len], sum)));
        return Length;
    }
}
