using Smolmix.Nym;
using static Smolmix.Tests.Nym.TestBytes;

namespace Smolmix.Tests.Nym;

public class BincodeTests
{
    private static byte[] Write(Action<BincodeWriterBox> write)
    {
        var box = new BincodeWriterBox();
        write(box);
        return box.ToArray();
    }

    [Theory]
    [InlineData(0UL, "00")]
    [InlineData(250UL, "fa")]
    [InlineData(251UL, "fb00fb")]
    [InlineData(300UL, "fb012c")]
    [InlineData(1280UL, "fb0500")]
    [InlineData(1420UL, "fb058c")]
    [InlineData(1500UL, "fb05dc")]
    [InlineData(65535UL, "fbffff")]
    [InlineData(65536UL, "fc00010000")]
    [InlineData(70000UL, "fc00011170")]
    [InlineData(0xFFFFFFFFUL, "fcffffffff")]
    [InlineData(0x100000000UL, "fd0000000100000000")]
    [InlineData(0x0123456789abcdefUL, "fd0123456789abcdef")]
    [InlineData(ulong.MaxValue, "fdffffffffffffffff")]
    public void UnsignedVarints(ulong value, string hex)
    {
        byte[] bytes = Write(w => w.VarU64(value));
        Equal(hex, bytes);
        Assert.Equal(bytes.Length, BincodeWriter.VarintLength(value));
        var reader = new BincodeReader(bytes);
        Assert.Equal(value, reader.ReadVarU64());
        reader.EnsureEnd();
    }

    [Theory]
    [InlineData(0L, "00")]
    [InlineData(-1L, "01")]
    [InlineData(1L, "02")]
    [InlineData(2024L, "fb0fd0")]
    [InlineData(1970L, "fb0f64")]
    [InlineData(-125L, "f9")]
    [InlineData(-126L, "fb00fb")]
    [InlineData(long.MinValue, "fdffffffffffffffff")]
    [InlineData(long.MaxValue, "fdfffffffffffffffe")]
    public void SignedZigzagVarints(long value, string hex)
    {
        byte[] bytes = Write(w => w.VarI64(value));
        Equal(hex, bytes);
        var reader = new BincodeReader(bytes);
        Assert.Equal(value, reader.ReadVarI64());
    }

    [Fact]
    public void AcceptsNonMinimalVarintsAndChecksRanges()
    {
        var reader = new BincodeReader(Hex("fd0000000000000005"));
        Assert.Equal(5, reader.ReadVarU16());
        var tooBig = new BincodeReader(Hex("fc00010000"));
        try
        {
            tooBig.ReadVarU16();
            Assert.Fail("expected rejection");
        }
        catch (NymProtocolException)
        {
        }
    }

    [Theory]
    [InlineData("fe")]
    [InlineData("ff")]
    [InlineData("fb00")]
    [InlineData("fc000000")]
    [InlineData("fd00000000000000")]
    [InlineData("")]
    public void RejectsBadOrTruncatedVarints(string hex)
    {
        byte[] bytes = Hex(hex);
        Assert.Throws<NymProtocolException>(() => new BincodeReader(bytes).ReadVarU64());
    }

    [Fact]
    public void PrimitiveLayouts()
    {
        Equal("3ff8000000000000", Write(w => w.F64(1.5)));
        Equal("01", Write(w => w.Bool(true)));
        Equal("ff", Write(w => w.I8(-1)));
        Equal("03616263", Write(w => w.String("abc")));
        Equal("00", Write(w => w.OptionU64(null)));
        Equal("0114", Write(w => w.OptionU64(20)));
        Assert.Throws<NymProtocolException>(() => new BincodeReader(Hex("02")).ReadBool());
        Assert.Throws<NymProtocolException>(() => new BincodeReader(Hex("02")).ReadOptionTag());
        Assert.Throws<NymProtocolException>(() => new BincodeReader(Hex("0261")).ReadString());
        Assert.Throws<NymProtocolException>(() => new BincodeReader(Hex("01ff")).ReadString());
        Assert.Throws<NymProtocolException>(() => new BincodeReader(Hex("00ff")).EnsureEnd());
    }

    [Theory]
    [InlineData("2024-01-01T12:59:59.5Z", 500_000_000u, Vectors.TS)]
    [InlineData("1970-01-01T00:00:00Z", 0u, "fb0f640100000000000000")]
    [InlineData("2026-05-16T06:27:52Z", 123_456_789u, "fb0fd488061b34fc075bcd15000000")]
    public void TimestampVectors(string iso, uint nanos, string hex)
    {
        var dto = DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);
        NymTimestamp ts = NymTimestamp.FromDateTimeOffset(dto) with { Nanosecond = nanos };
        byte[] bytes = Write(w => w.Timestamp(ts));
        Equal(hex, bytes);
        var reader = new BincodeReader(bytes);
        Assert.Equal(ts, reader.ReadTimestamp());
        reader.EnsureEnd();
    }

    [Fact]
    public void TimestampKeepsItsOwnOffset()
    {
        var dto = new DateTimeOffset(2027, 1, 1, 2, 0, 0, new TimeSpan(5, 30, 0));
        NymTimestamp ts = NymTimestamp.FromDateTimeOffset(dto);
        Equal("fb0fd60102000000051e00", Write(w => w.Timestamp(ts)));
        Assert.Equal(dto, ts.ToDateTimeOffset());

        var negative = NymTimestamp.FromDateTimeOffset(new DateTimeOffset(2027, 1, 1, 2, 0, 0, new TimeSpan(-3, -30, 0)));
        Assert.EndsWith("fde200", ToHex(Write(w => w.Timestamp(negative))), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("fb0fd0fb016e0c3b3b00000000")] // ordinal 366 in 2024 is fine: 2024 is a leap year
    public void AcceptsValidEdgeTimestamps(string hex)
    {
        var reader = new BincodeReader(Hex(hex));
        reader.ReadTimestamp();
        reader.EnsureEnd();
    }

    [Theory]
    [InlineData("fb0fd2fb016e0c3b3b00000000")] // ordinal 366 in 2025
    [InlineData("fb0fd0000c3b3b00000000")] // ordinal 0
    [InlineData("fb0fd001183b3b00000000")] // hour 24
    [InlineData("fb0fd0010c3c3b00000000")] // minute 60
    [InlineData("fb0fd0010c3b3c00000000")] // second 60
    [InlineData("fb0fd0010c3b3bfc3b9aca00000000")] // 1e9 ns
    [InlineData("fb0fd0010c3b3b001a0000")] // offset +26h
    [InlineData("fb0fd0010c3b3b00003c00")] // offset 60 min
    [InlineData("fb4e22010c3b3b00000000")] // year 10001
    public void RejectsInvalidTimestamps(string hex)
    {
        byte[] bytes = Hex(hex);
        var ex = Assert.Throws<NymProtocolException>(() => new BincodeReader(bytes).ReadTimestamp());
        Assert.DoesNotContain("truncated", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MixedSignOffsetsAreNormalisedLikeTheTimeCrate()
    {
        var reader = new BincodeReader(Hex("fb0fd0010c3b3b00fd1e00"));
        NymTimestamp ts = reader.ReadTimestamp();
        Assert.Equal((sbyte)-3, ts.OffsetHours);
        Assert.Equal((sbyte)-30, ts.OffsetMinutes);
    }

    /// <summary>Lets lambdas drive a ref-struct writer through a growable buffer.</summary>
    private sealed class BincodeWriterBox
    {
        private readonly byte[] _buffer = new byte[256];
        private int _length;

        public void VarU64(ulong v) => Do((ref BincodeWriter w) => w.WriteVarU64(v));

        public void VarI64(long v) => Do((ref BincodeWriter w) => w.WriteVarI64(v));

        public void F64(double v) => Do((ref BincodeWriter w) => w.WriteF64(v));

        public void Bool(bool v) => Do((ref BincodeWriter w) => w.WriteBool(v));

        public void I8(sbyte v) => Do((ref BincodeWriter w) => w.WriteI8(v));

        public void String(string v) => Do((ref BincodeWriter w) => w.WriteString(v));

        public void OptionU64(ulong? v) => Do((ref BincodeWriter w) => w.WriteOptionVarU64(v));

        public void Timestamp(NymTimestamp v) => Do((ref BincodeWriter w) => w.WriteTimestamp(v));

        public byte[] ToArray() => _buffer[.._length];

        private void Do(WriteAction action)
        {
            var counter = BincodeWriter.CreateCounter();
            action(ref counter);
            var writer = new BincodeWriter(_buffer.AsSpan(_length));
            action(ref writer);
            Assert.Equal(counter.Position, writer.Position);
            _length += writer.Position;
        }

        private delegate void WriteAction(ref BincodeWriter writer);
    }
}
