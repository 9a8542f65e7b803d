using System.Net;

namespace Smolmix.Devnet.Tests.Exit;

public sealed class ExitPolicyTests
{
    [Fact]
    public void FirstMatchingRuleDecides_DefaultAccepts()
    {
        ExitPolicy policy = ExitPolicy.Parse("""
            reject 192.0.2.0/24:25   # no mail
            accept 192.0.2.7:*
            reject [2001:db8::]/32:1-1024
            """);
        Assert.False(policy.Allows(IPAddress.Parse("192.0.2.7"), 25));
        Assert.True(policy.Allows(IPAddress.Parse("192.0.2.7"), 80));
        Assert.True(policy.Allows(IPAddress.Parse("198.51.100.1"), 25));
        Assert.False(policy.Allows(IPAddress.Parse("2001:db8::1"), 443));
        Assert.True(policy.Allows(IPAddress.Parse("2001:db8::1"), 8443));
        Assert.True(policy.Allows(IPAddress.Parse("2001:db9::1"), 443));
        Assert.Equal("reject 192.0.2.0/24:25, accept 192.0.2.7/32:*, reject [2001:db8::]/32:1-1024", policy.ToString());
    }

    [Fact]
    public void WildcardsMatchPortlessPackets_AndEverything()
    {
        ExitPolicy policy = new([ExitPolicyRule.Parse("reject *:*")]);
        Assert.False(policy.Allows(IPAddress.Parse("10.1.2.3"), 0));
        Assert.False(policy.Allows(IPAddress.IPv6Loopback, 65535));
    }

    [Theory]
    [InlineData("allow 1.2.3.4:80")]
    [InlineData("reject 1.2.3.4")]
    [InlineData("reject 1.2.3.4/33:80")]
    [InlineData("reject 1.2.3.4:80-70")]
    [InlineData("reject nothost:80")]
    public void InvalidRules_AreRejected(string text) => Assert.Throws<FormatException>(() => ExitPolicyRule.Parse(text));
}
