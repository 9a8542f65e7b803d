using Smolmix.Dns.Wire;

namespace Smolmix.Dns.Tests.Wire;

/// <summary>Host names as users type them: IDN to punycode, lower case, host-name characters and length limits.</summary>
public sealed class DnsNameFromHostNameTests
{
    [Theory]
    [InlineData("bücher.example", "xn--bcher-kva.example")]
    [InlineData("BÜCHER.Example.", "xn--bcher-kva.example")]
    [InlineData("münchen.de", "xn--mnchen-3ya.de")]
    [InlineData("例え.テスト", "xn--r8jz45g.xn--zckzah")]
    [InlineData("WWW.Example.COM", "www.example.com")]
    [InlineData("www.example.com.", "www.example.com")]
    [InlineData("_sip._tcp.example.com", "_sip._tcp.example.com")]
    [InlineData("xn--bcher-kva.example", "xn--bcher-kva.example")]
    public void Host_names_become_lower_case_ASCII_with_punycode_labels(string hostName, string expected)
    {
        Assert.Equal(expected, DnsName.FromHostName(hostName));
    }

    [Theory]
    [InlineData("ex\u00ADample.com\u0000")]
    [InlineData("a\uFFFF.example")]
    [InlineData("\u0300a.example")]
    [InlineData("a\u200Db.example")]
    [InlineData("\uD800.example")]
    public void Invalid_internationalized_names_throw_ArgumentException(string hostName)
    {
        var ex = Assert.Throws<ArgumentException>(() => DnsName.FromHostName(hostName));
        Assert.Equal("hostName", ex.ParamName);
    }

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("a..b")]
    [InlineData(".example.com")]
    [InlineData("exa mple.com")]
    [InlineData("exa\\.mple.com")]
    [InlineData("example.com..")]
    [InlineData("a/b.example")]
    public void Names_a_host_cannot_have_throw_ArgumentException(string hostName)
    {
        Assert.Throws<ArgumentException>(() => DnsName.FromHostName(hostName));
    }

    [Fact]
    public void Label_of_63_bytes_is_accepted_and_64_is_rejected()
    {
        Assert.Equal(63, DnsName.FromHostName(new string('a', 63) + ".com").IndexOf('.', StringComparison.Ordinal));
        Assert.Throws<ArgumentException>(() => DnsName.FromHostName(new string('a', 64) + ".com"));
    }

    [Fact]
    public void Name_of_255_bytes_on_the_wire_is_accepted_and_256_is_rejected()
    {
        string l63 = new('a', 63);
        Assert.Equal(253, DnsName.FromHostName($"{l63}.{l63}.{l63}.{new string('b', 61)}").Length);
        Assert.Throws<ArgumentException>(() => DnsName.FromHostName($"{l63}.{l63}.{l63}.{new string('b', 62)}"));
    }

    [Fact]
    public void Null_throws_ArgumentNullException()
    {
        Assert.Throws<ArgumentNullException>(() => DnsName.FromHostName(null!));
    }
}
