using Smolmix.Nym;
using static Smolmix.Tests.Nym.TestBytes;

namespace Smolmix.Tests.Nym;

public class NymAddressTests
{
    [Theory]
    [InlineData(Vectors.D1rr, Vectors.R)]
    [InlineData(Vectors.CytB, Vectors.W)]
    public void ParsesToSpecBinaryFormAndBack(string text, string hex)
    {
        NymAddress address = NymAddress.Parse(text);
        Equal(hex, address.Bytes);
        Assert.Equal(text, address.ToString());
        NymAddress fromBytes = NymAddress.FromBytes(Hex(hex));
        Assert.Equal(address, fromBytes);
        Assert.Equal(text, fromBytes.ToString());
    }

    [Fact]
    public void MockRecipientIsValidAndStartsWithSpecBytes()
    {
        NymAddress address = NymAddress.Parse(Vectors.MockRecipient);
        Assert.StartsWith("4305849203ec7459", ToHex(address.Bytes), StringComparison.Ordinal);
        Assert.Equal(Vectors.MockRecipient, NymAddress.FromBytes(address.Bytes).ToString());
    }

    [Fact]
    public void GatewayIdentityIsThirdPart()
    {
        NymAddress address = NymAddress.Parse(Vectors.CytB);
        Assert.Equal("4sBbL1ngf1vtNqykydQKTFh26sQCw888GpUqvPvyNB4f", address.GatewayIdentity);
        Assert.Equal("CytBseW6yFXUMzz4SGAKdNLGR7q3sJLLYxyBGvutNEQV", address.ClientIdentity);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("CytBseW6yFXUMzz4SGAKdNLGR7q3sJLLYxyBGvutNEQV.4QXYyEVc5fUDjmmi8PrHN9tdUFV4PCvSJE1278cHyvoe")]
    [InlineData("CytBseW6yFXUMzz4SGAKdNLGR7q3sJLLYxyBGvutNEQV@4sBbL1ngf1vtNqykydQKTFh26sQCw888GpUqvPvyNB4f")]
    [InlineData("CytBseW6yFXUMzz4SGAKdNLGR7q3sJLLYxyBGvutNEQV.4QXYyEVc5fUDjmmi8PrHN9tdUFV4PCvSJE1278cHyvoe@4sBbL1ngf1vtNqykydQKTFh26sQCw888GpUqvPvyNB4f@x")]
    [InlineData("CytBseW6yFXUMzz4SGAKdNLGR7q3sJLLYxyBGvutNEQV.4QXYyEVc5fUDjmmi8PrHN9tdUFV4PCvSJE1278cHyvoe.x@4sBbL1ngf1vtNqykydQKTFh26sQCw888GpUqvPvyNB4f")]
    [InlineData("CytBseW6yFXUMzz4SGAKdNLGR7q3sJLLYxyBGvutNEQV.4QXYyEVc5fUDjmmi8PrHN9tdUFV4PCvSJE1278cHyvoe@4sBbL1ngf1vtNqykydQKTFh26sQCw888GpUqvPvyNB4")]
    [InlineData("CytBseW6yFXUMzz4SGAKdNLGR7q3sJLLYxyBGvutNEQV.4QXYyEVc5fUDjmmi8PrHN9tdUFV4PCvSJE1278cHyvoe@4sBbL1ngf1vtNqykydQKTFh26sQCw888GpUqvPvyNB40")]
    [InlineData("CytBseW6yFXUMzz4SGAKdNLGR7q3sJLLYxyBGvutNEQV.4QXYyEVc5fUDjmmi8PrHN9tdUFV4PCvSJE1278cHyvoe@ 4sBbL1ngf1vtNqykydQKTFh26sQCw888GpUqvPvyNB4f")]
    public void RejectsMalformedText(string text)
    {
        Assert.False(NymAddress.TryParse(text, out _));
        Assert.Throws<FormatException>(() => NymAddress.Parse(text));
    }

    [Fact]
    public void RejectsIdentityKeyOffTheCurve()
    {
        byte[] bytes = Hex(Vectors.W);
        bytes.AsSpan(0, 32).Clear();
        bytes[0] = 2; // y = 2 has no x on Edwards25519
        Assert.Throws<NymProtocolException>(() => NymAddress.FromBytes(bytes));
        string text = $"{Base58.Encode(bytes.AsSpan(0, 32))}.{Base58.Encode(bytes.AsSpan(32, 32))}@{Base58.Encode(bytes.AsSpan(64, 32))}";
        Assert.False(NymAddress.TryParse(text, out _));
    }

    [Fact]
    public void RejectsGatewayKeyOffTheCurveButAcceptsAnyEncryptionKey()
    {
        byte[] bytes = Hex(Vectors.W);
        bytes.AsSpan(32, 32).Fill(0xFF);
        NymAddress.FromBytes(bytes);
        bytes.AsSpan(64, 32).Clear();
        bytes[64] = 7;
        Assert.Throws<NymProtocolException>(() => NymAddress.FromBytes(bytes));
    }

    [Fact]
    public void EdwardsValidityMatchesIndependentComputation()
    {
        // Small y values, checked with an independent big-integer computation.
        bool[] expected = [true, true, false, true, true, true, true, false, false, true];
        for (int y = 0; y < expected.Length; y++)
        {
            var key = new byte[32];
            key[0] = (byte)y;
            Assert.Equal(expected[y], Ed25519PublicKey.IsValid(key));
            key[31] |= 0x80; // the sign bit does not affect validity
            Assert.Equal(expected[y], Ed25519PublicKey.IsValid(key));
        }
    }

    [Fact]
    public void RejectsWrongBinaryLength()
    {
        Assert.Throws<NymProtocolException>(() => NymAddress.FromBytes(Hex(Vectors.W).AsSpan(0, 95)));
        Assert.Throws<NymProtocolException>(() => NymAddress.FromBytes(new byte[97]));
    }

    [Fact]
    public void EqualityIsByValue()
    {
        Assert.Equal(NymAddress.Parse(Vectors.CytB), NymAddress.Parse(Vectors.CytB));
        Assert.True(NymAddress.Parse(Vectors.CytB) == NymAddress.Parse(Vectors.CytB));
        Assert.NotEqual(NymAddress.Parse(Vectors.CytB), NymAddress.Parse(Vectors.D1rr));
        Assert.Equal(NymAddress.Parse(Vectors.CytB).GetHashCode(), NymAddress.Parse(Vectors.CytB).GetHashCode());
    }
}

public class Base58Tests
{
    [Theory]
    [InlineData("", "")]
    [InlineData("00", "1")]
    [InlineData("0000", "11")]
    [InlineData("61", "2g")]
    [InlineData("626262", "a3gV")]
    [InlineData("636363", "aPEr")]
    [InlineData("00000000000000000000", "1111111111")]
    [InlineData("516b6fcd0f", "ABnLTmg")]
    [InlineData("572e4794", "3EFU7m")]
    [InlineData("10c8511e", "Rt5zm")]
    public void KnownVectors(string hex, string text)
    {
        Assert.Equal(text, Base58.Encode(Hex(hex)));
        if (text.Length > 0)
        {
            Assert.True(Base58.TryDecode(text, out byte[] bytes));
            Equal(hex, bytes);
        }
    }

    [Theory]
    [InlineData("0")]
    [InlineData("O")]
    [InlineData("I")]
    [InlineData("l")]
    [InlineData("ab c")]
    [InlineData("é")]
    [InlineData("")]
    public void RejectsInvalidText(string text) => Assert.False(Base58.TryDecode(text, out _));

    [Fact]
    public void SenderTagVectors()
    {
        var eights = new SenderTag(SenderTag.FromBytes(Hex(Repeat("08", 16))).Value);
        Assert.Equal("zXExeyvPEHUk9rjXTu78T", eights.ToString());
        Assert.True(SenderTag.TryParse("6CzGHguLGCk1f416kwDZB7", out SenderTag fortyTwos));
        Equal(Repeat("2a", 16), fortyTwos.ToArray());
        Assert.True(SenderTag.TryParse("zXExeyvPEHUk9rjXTu78T", out SenderTag parsed));
        Assert.Equal(eights, parsed);
        Assert.False(SenderTag.TryParse(Base58.Encode(new byte[15]), out _));
        Assert.False(SenderTag.TryParse(null, out _));
        Assert.Throws<NymProtocolException>(() => SenderTag.FromBytes(new byte[17]));
    }
}
