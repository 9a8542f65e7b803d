using System.Net;
using CsCheck;
using Smolmix.Wire;

namespace Smolmix.Tests.Wire;

public class IpAddrTests
{
    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("192.0.2.1")]
    [InlineData("255.255.255.255")]
    [InlineData("::")]
    [InlineData("2001:db8::1")]
    [InlineData("fe80::1:2:3:4")]
    [InlineData("ff02::1")]
    public void ParseFormatsBack(string text)
    {
        IpAddr a = IpAddr.Parse(text);
        Assert.Equal(IPAddress.Parse(text), a.ToIPAddress());
        Assert.Equal(IPAddress.Parse(text).ToString(), a.ToString());
        Assert.Equal(text.Contains(':'), a.IsV6);
        Assert.Equal(a.IsV6 ? 16 : 4, a.Length);
    }

    [Fact]
    public void V4MappedBecomesV4()
    {
        IpAddr a = IpAddr.Parse("::ffff:192.0.2.1");
        Assert.False(a.IsV6);
        Assert.Equal(IpAddr.Parse("192.0.2.1"), a);
    }

    [Fact]
    public void V4AndV6WithSameBitsDiffer()
    {
        IpAddr v4 = IpAddr.Parse("0.0.0.1");
        IpAddr v6 = IpAddr.Parse("::1");
        Assert.NotEqual(v4, v6);
        Assert.True(v4 != v6);
        Assert.NotEqual(IpAddr.AnyV4, IpAddr.AnyV6);
        Assert.True(IpAddr.AnyV4.IsUnspecified);
        Assert.True(IpAddr.AnyV6.IsUnspecified);
    }

    [Theory]
    [InlineData("224.0.0.1", true)]
    [InlineData("239.255.255.255", true)]
    [InlineData("255.255.255.255", true)]
    [InlineData("223.255.255.255", false)]
    [InlineData("240.0.0.1", false)]
    [InlineData("ff02::1", true)]
    [InlineData("fe80::1", false)]
    public void Multicast(string text, bool expected) => Assert.Equal(expected, IpAddr.Parse(text).IsMulticastOrBroadcast);

    [Fact]
    public void ValueV4IsBigEndianInteger()
    {
        Assert.Equal(0xC0000201u, IpAddr.Parse("192.0.2.1").V4Value);
        Assert.Equal(IpAddr.Parse("192.0.2.1"), IpAddr.FromV4(0xC0000201u));
        Assert.Equal(IpAddr.Parse("192.0.2.1"), IpAddr.FromV4([192, 0, 2, 1]));
    }

    [Fact]
    public void BytesRoundTrip() =>
        Gen.Select(Gen.Bool, Gen.Byte.Array[16]).Sample((v6, bytes) =>
        {
            IpAddr a = v6 ? IpAddr.FromV6(bytes) : IpAddr.FromV4(bytes);
            Span<byte> back = stackalloc byte[16];
            int n = a.WriteTo(back);
            Assert.Equal(v6 ? 16 : 4, n);
            Assert.True(back[..n].SequenceEqual(bytes.AsSpan(0, n)));
            Assert.Equal(new IPAddress(bytes.AsSpan(0, n)), a.ToIPAddress());
            IpAddr b = IpAddr.From(a.ToIPAddress());
            Assert.Equal(a.IsV6 && !a.ToIPAddress().IsIPv4MappedToIPv6 ? a : b, b);
            Assert.Equal(a.GetHashCode(), (v6 ? IpAddr.FromV6(bytes) : IpAddr.FromV4(bytes)).GetHashCode());
        }, iter: 500);
}
