using Smolmix.Wire;

namespace Smolmix.Tests.Wire;

public class Ipv6ExtensionChainTests
{
    [Fact]
    public void FindsTheNextHeaderFieldNamingAHeader()
    {
        byte[] p = Packets.V6WithExtensions(IpProtocol.Udp, new byte[8],
            (IpProtocol.HopByHop, 8), (IpProtocol.Ipv6Routing, 16), (IpProtocol.Ipv6Fragment, 8));
        Assert.Equal(6, Ipv6ExtensionChain.NextHeaderIndexFor(p, 40));
        Assert.Equal(40, Ipv6ExtensionChain.NextHeaderIndexFor(p, 48));
        Assert.Equal(48, Ipv6ExtensionChain.NextHeaderIndexFor(p, 64));
        Assert.Equal(64, Ipv6ExtensionChain.NextHeaderIndexFor(p, 72)); // The fragment header is 8 bytes.
        Assert.Equal(-1, Ipv6ExtensionChain.NextHeaderIndexFor(p, 44)); // Not on a header boundary.
        Assert.Equal(-1, Ipv6ExtensionChain.NextHeaderIndexFor(p, 80)); // Past the upper-layer header.
    }

    [Theory]
    [InlineData(new int[0], 40, 6)]
    [InlineData(new[] { 0 }, 48, 40)] // Hop-by-hop.
    [InlineData(new[] { 60 }, 40, 6)] // Destination options alone are fragmentable.
    [InlineData(new[] { 0, 60 }, 48, 40)]
    [InlineData(new[] { 0, 60, 43 }, 72, 56)] // Destination options before routing are not.
    [InlineData(new[] { 0, 43, 60 }, 64, 48)] // Destination options after routing are.
    [InlineData(new[] { 43, 43 }, 72, 56)]
    public void UnfragmentablePart(int[] kinds, int expectedEnd, int expectedIndex)
    {
        var headers = kinds.Select(k => ((IpProtocol)k, k == 43 ? 16 : 8)).ToArray();
        byte[] p = Packets.V6WithExtensions(IpProtocol.Tcp, new byte[20], headers);
        Assert.Equal(expectedEnd, Ipv6ExtensionChain.UnfragmentableEnd(p, out int index));
        Assert.Equal(expectedIndex, index);
    }
}
