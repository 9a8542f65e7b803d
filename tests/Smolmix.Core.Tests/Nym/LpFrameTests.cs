using System.Net;
using System.Text;
using Smolmix.Nym;
using static Smolmix.Tests.Nym.TestBytes;
using static Smolmix.Tests.Nym.Vectors;

namespace Smolmix.Tests.Nym;

public class LpFrameTests
{
    private const ulong Stream = 0x0123456789abcdef;

    [Fact]
    public void HeaderWireFormatPinnedByNym()
    {
        var frame = new LpFrame(0x0011223344556677, LpMessageType.Open, 1, Hex("aa"));
        Equal("030000112233445566770000000001" + "00aa", frame.ToArray());
        Assert.True(LpFrame.TryDecode(frame.ToArray(), out LpFrame decoded));
        Assert.Equal(0x0011223344556677UL, decoded.StreamId);
        Assert.Equal(LpMessageType.Open, decoded.MessageType);
        Assert.Equal(1U, decoded.Sequence);
        Equal("aa", decoded.Payload.Span);
    }

    [Fact]
    public void BadMessageTypeFails()
    {
        byte[] bytes = new LpFrame(0x0011223344556677, LpMessageType.Open, 1, Hex("aa")).ToArray();
        bytes[10] = 0xFF;
        Assert.Throws<NymProtocolException>(() => LpFrame.TryDecode(bytes, out _));
    }

    [Fact]
    public void WrongFrameKindIsNotAStreamFrame()
    {
        Assert.False(LpFrame.TryDecode(new byte[17], out _));
        Assert.False(LpFrame.IsStreamFrame(new byte[17]));
        Assert.False(LpFrame.TryDecode(Hex("0300" + Repeat("00", 13)), out _)); // 15 bytes: too short
    }

    [Fact]
    public void MixnetListenerVector()
    {
        byte[] bytes = new LpFrame(0x1234, LpMessageType.Data, 42, Hex("080100")).ToArray();
        Assert.True(LpFrame.TryDecode(bytes, out LpFrame frame));
        Assert.Equal(0x1234UL, frame.StreamId);
        Assert.Equal(42U, frame.Sequence);
        Equal("080100", frame.Payload.Span);
    }

    [Fact]
    public void LpStreamRoundTripAndRawPassThrough()
    {
        byte[] hello = Encoding.ASCII.GetBytes("hello-ipr");
        Assert.True(LpFrame.TryDecode(new LpFrame(Stream, LpMessageType.Data, 42, hello).ToArray(), out LpFrame frame));
        Assert.Equal(hello, frame.Payload.ToArray());
        Assert.Equal(Stream, frame.StreamId);

        byte[] raw = Hex("0900010203");
        Assert.False(LpFrame.TryDecode(raw, out _));
        Assert.True(IprMessageReader.TryReadRequest(Hex("080100060004deadbeef"), out var envelope));
        Assert.Null(envelope.StreamId);
    }

    [Fact]
    public void SpecFrameVectors()
    {
        Equal("03000123456789abcdef000000000000", new LpFrame(Stream, LpMessageType.Open, 0, default).ToArray());
        Equal("03000123456789abcdef010000000000090101007b00" + TS,
            new LpFrame(Stream, LpMessageType.Data, 0, new IprConnectRequest(9, 123, null, Timestamp).ToArray()).ToArray());
        Equal("03000123456789abcdef010000000100090100060004deadbeef",
            IprMessageReader.Frame(new IprDataRequest(9, Hex("0004deadbeef")).ToArray(), Stream, 1));
        Equal("03000123456789abcdef0100000000000901007b000a000307fc000000000000000000000000000307",
            IprMessageReader.Frame(Hex("0901007b000a000307fc000000000000000000000000000307"), Stream, 0));
    }

    [Fact]
    public void ReaderDecodesFramedReplies()
    {
        Assert.True(IprMessageReader.TryReadResponse(
            Hex("03000123456789abcdef0100000000000901007b000a000307fc000000000000000000000000000307"), out var envelope));
        Assert.Equal(Stream, envelope.StreamId);
        Assert.Equal(0U, envelope.Sequence);
        var success = Assert.IsType<IprConnectSuccess>(envelope.Message);
        Assert.Equal(IPAddress.Parse("10.0.3.7"), success.Ipv4);

        Assert.True(IprMessageReader.TryReadRequest(Hex("03000123456789abcdef010000000100090100060004deadbeef"), out var request));
        Assert.Equal(1U, request.Sequence);
        Assert.IsType<IprDataRequest>(request.Message);
    }

    [Fact]
    public void ReaderSkipsOpenFramesAndEnforcesTheTransportRule()
    {
        Assert.False(IprMessageReader.TryReadRequest(Hex("03000123456789abcdef000000000000"), out _));
        // v8 inside a frame and raw v9 are both dropped by the exit.
        Assert.Throws<NymProtocolException>(() => IprMessageReader.TryReadRequest(IprMessageReader.Frame(Hex("080100060004deadbeef"), Stream, 1), out _));
        Assert.Throws<NymProtocolException>(() => IprMessageReader.TryReadRequest(Hex("090100060004deadbeef"), out _));
        Assert.Throws<NymProtocolException>(() => IprMessageReader.TryReadResponse(Hex("0901007b0101"), out _));
        Assert.True(IprMessageReader.TryReadResponse(Hex("0801007b0101"), out var v8));
        Assert.Null(v8.StreamId);
        Assert.Throws<NymProtocolException>(() => IprMessageReader.TryReadResponse(Array.Empty<byte>(), out _));
    }
}

public class PacketBundleTests
{
    [Fact]
    public void SpecBundleDecodes()
    {
        List<ReadOnlyMemory<byte>> packets = PacketBundle.Decode(Hex("0004deadbeef0002cafe"));
        Assert.Equal(2, packets.Count);
        Equal("deadbeef", packets[0].Span);
        Equal("cafe", packets[1].Span);
        Equal("0004deadbeef0002cafe", PacketBundle.Encode(packets));
        Equal("0004deadbeef", PacketBundle.EncodeOne(Hex("deadbeef")));
    }

    [Fact]
    public void MaxPacketSizeVector()
    {
        var encoder = new PacketBundleEncoder();
        byte[] first = new byte[1400];
        first[0] = 0x11;
        Assert.Null(encoder.Add(first));
        byte[]? emitted = encoder.Add(new byte[1400]);
        Assert.NotNull(emitted);
        Assert.Equal(1402, emitted.Length);
        Equal("0578", emitted.AsSpan(0, 2));
        Assert.Equal(first, emitted[2..]);
    }

    [Fact]
    public void EncodeThenDecodeYieldsOnePacket()
    {
        var encoder = new PacketBundleEncoder();
        Assert.Null(encoder.Add(new byte[1000]));
        byte[]? emitted = encoder.Add(new byte[1000]);
        Assert.NotNull(emitted);
        Assert.Single(PacketBundle.Decode(emitted));
        Assert.Equal(1002, encoder.BufferedLength);
    }

    [Fact]
    public void TooLargePacketLeavesAtOnce()
    {
        var encoder = new PacketBundleEncoder();
        byte[]? emitted = encoder.Add(new byte[3000]);
        Assert.NotNull(emitted);
        Assert.Equal(3002, emitted.Length);
        Equal("0bb8", emitted.AsSpan(0, 2));
        Assert.Null(encoder.Flush());
    }

    [Fact]
    public void MaxSizeDoesNotFlush()
    {
        var encoder = new PacketBundleEncoder();
        Assert.Null(encoder.Add(new byte[1498]));
        byte[]? emitted = encoder.Add(new byte[1498]);
        Assert.NotNull(emitted);
        Assert.Equal(1500, emitted.Length);
        Assert.Equal(1500, encoder.Flush()!.Length);
        Assert.Null(encoder.Flush());
    }

    [Fact]
    public void OversizedPacketBehindABufferLeavesAlone()
    {
        var encoder = new PacketBundleEncoder();
        Assert.Null(encoder.Add(new byte[10]));
        Assert.Equal(12, encoder.Add(new byte[1600])!.Length);
        Assert.Equal(1602, encoder.Flush()!.Length);
    }

    [Fact]
    public void ZeroLengthRecordAndEmptyBundle()
    {
        Assert.Empty(PacketBundle.Decode(Array.Empty<byte>()));
        Assert.Equal(0, Assert.Single(PacketBundle.Decode(Hex("0000"))).Length);
    }

    [Theory]
    [InlineData("00")]
    [InlineData("0004deadbe")]
    [InlineData("0004deadbeef00")]
    [InlineData("0004deadbeef0002ca")]
    public void TruncatedTailIsRejectedStrictlyAndSkippedLeniently(string hex)
    {
        byte[] bundle = Hex(hex);
        Assert.Throws<NymProtocolException>(() => PacketBundle.Decode(bundle));
        var reader = new PacketBundleReader(bundle);
        int count = 0;
        while (reader.TryReadNext(out _))
        {
            count++;
        }

        Assert.True(reader.IsTruncated);
        Assert.Equal(hex.StartsWith("0004deadbeef", StringComparison.Ordinal) ? 1 : 0, count);
    }

    [Fact]
    public void RejectsPacketsTooLargeForTheLengthPrefix()
    {
        Assert.Throws<ArgumentException>(() => PacketBundle.EncodeOne(new byte[65536]));
        Assert.Throws<ArgumentException>(() => new PacketBundleEncoder().Add(new byte[65536]));
    }
}
