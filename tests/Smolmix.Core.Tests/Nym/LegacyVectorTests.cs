using Smolmix.Nym;
using static Smolmix.Tests.Nym.TestBytes;
using static Smolmix.Tests.Nym.Vectors;

namespace Smolmix.Tests.Nym;

/// <summary>
/// The spec's v6/v7 vectors. The library deliberately has no v6/v7 codec (a WebSocket client
/// cannot sign v7, and later exits dropped both); these tests rebuild each vector from the
/// bincode primitives, which checks the primitives and the 96-byte address form against them.
/// </summary>
public class LegacyVectorTests
{
    private delegate void Body(ref BincodeWriter writer);

    private static readonly NymAddress ReplyTo = NymAddress.Parse(D1rr);

    [Fact]
    public void V6DynamicConnectAllNone()
    {
        byte[] bytes = Build((ref BincodeWriter w) =>
        {
            w.WriteU8(6);
            w.WriteEnumTag(1);
            w.WriteVarU64(123);
            w.WriteBytes(ReplyTo.Bytes);
            w.WriteOptionTag(false);
            w.WriteOptionTag(false);
            w.WriteOptionTag(false);
        });
        Equal("06017b60" + R + "000000", bytes);
        Assert.Equal(103, bytes.Length);
    }

    [Fact]
    public void V6DynamicConnectWithOptions()
    {
        byte[] bytes = Build((ref BincodeWriter w) =>
        {
            w.WriteU8(6);
            w.WriteEnumTag(1);
            w.WriteVarU64(123);
            w.WriteBytes(ReplyTo.Bytes);
            w.WriteOptionTag(true);
            w.WriteU8(2);
            w.WriteOptionTag(true);
            w.WriteF64(1.5);
            w.WriteOptionVarU64(20);
        });
        Equal("06017b60" + R + "0102013ff80000000000000114", bytes);
        Assert.Equal(113, bytes.Length);
    }

    [Fact]
    public void V6PingPongAndReplies()
    {
        Equal("0604fb012c60" + R, Build((ref BincodeWriter w) => { w.WriteU8(6); w.WriteEnumTag(4); w.WriteVarU64(300); w.WriteBytes(ReplyTo.Bytes); }));
        Equal("0605fb012c60" + R, Build((ref BincodeWriter w) => { w.WriteU8(6); w.WriteEnumTag(5); w.WriteVarU64(300); w.WriteBytes(ReplyTo.Bytes); }));
        Equal("0604060004deadbeef", Build((ref BincodeWriter w) => { w.WriteU8(6); w.WriteEnumTag(4); w.WriteBytes(Hex("0004deadbeef")); }));
        Equal("06017b60" + R + "000a000307fc000000000000000000000000000307", Build((ref BincodeWriter w) =>
        {
            w.WriteU8(6);
            w.WriteEnumTag(1);
            w.WriteVarU64(123);
            w.WriteBytes(ReplyTo.Bytes);
            w.WriteEnumTag(0);
            w.WriteIpv4(System.Net.IPAddress.Parse("10.0.3.7"));
            w.WriteIpv6(System.Net.IPAddress.Parse("fc00::307"));
        }));
    }

    [Fact]
    public void V7DynamicConnectUnsignedSignedAndSignable()
    {
        byte[] inner = Build(V7Inner);
        Equal("7b60" + R + "000000" + TS, inner);
        Assert.Equal(116, inner.Length);

        byte[] unsigned = Build((ref BincodeWriter w) => { w.WriteU8(7); w.WriteEnumTag(1); V7Inner(ref w); w.WriteOptionTag(false); });
        Equal("07017b60" + R + "000000" + TS + "00", unsigned);
        Assert.Equal(119, unsigned.Length);

        byte[] signature = Hex(Repeat("11", 64));
        byte[] signed = Build((ref BincodeWriter w) => { w.WriteU8(7); w.WriteEnumTag(1); V7Inner(ref w); w.WriteOptionTag(true); w.WriteBytes(signature); });
        Equal("07017b60" + R + "000000" + TS + "0140" + Repeat("11", 64), signed);
        Assert.Equal(184, signed.Length);
    }

    [Fact]
    public void NymTestShapeStaticConnectAndDataSizes()
    {
        byte[] v7 = Build((ref BincodeWriter w) =>
        {
            w.WriteU8(4);
            w.WriteEnumTag(0);
            w.WriteVarU64(123);
            w.WriteIpv4(System.Net.IPAddress.Parse("10.0.0.1"));
            w.WriteIpv6(System.Net.IPAddress.Parse("fc00::1"));
            w.WriteBytes(ReplyTo.Bytes);
            w.WriteOptionTag(false);
            w.WriteOptionTag(false);
            w.WriteOptionTag(false);
            w.WriteTimestamp(Timestamp);
            w.WriteOptionTag(false);
        });
        Equal("04007b0a000001fc000000000000000000000000000001" + "60" + R + "000000" + TS + "00", v7);
        Assert.Equal(139, v7.Length);
        Assert.Equal(123, v7.Length - 15 - 1); // v6 has neither timestamp nor signature

        byte[] data = Build((ref BincodeWriter w) => { w.WriteU8(4); w.WriteEnumTag(3); w.WriteBytes(Hex(Repeat("01", 32))); });
        Assert.Equal(35, data.Length);
    }

    [Fact]
    public void ServiceProviderProtocolHeader()
    {
        Equal("0400", Build((ref BincodeWriter w) => { w.WriteU8(4); w.WriteEnumTag(0); }));
        Assert.Throws<NymProtocolException>(() => IprRequest.Decode(Hex("0403"), acceptAnyVersion: true));
    }

    [Fact]
    public void V6ReplyToDecodesBackToTheAddress()
    {
        var reader = new BincodeReader(Hex("0604fb012c60" + R));
        Assert.Equal(6, reader.ReadU8());
        Assert.Equal(4U, reader.ReadEnumTag());
        Assert.Equal(300UL, reader.ReadVarU64());
        Assert.Equal(ReplyTo, NymAddress.FromBytes(reader.ReadBytes()));
        reader.EnsureEnd();
    }

    private static void V7Inner(ref BincodeWriter w)
    {
        w.WriteVarU64(123);
        w.WriteBytes(ReplyTo.Bytes);
        w.WriteOptionTag(false);
        w.WriteOptionTag(false);
        w.WriteOptionTag(false);
        w.WriteTimestamp(Timestamp);
    }

    private static byte[] Build(Body body)
    {
        var counter = BincodeWriter.CreateCounter();
        body(ref counter);
        var bytes = new byte[counter.Position];
        var writer = new BincodeWriter(bytes);
        body(ref writer);
        return bytes;
    }
}
