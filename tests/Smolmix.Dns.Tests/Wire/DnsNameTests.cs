using Smolmix.Dns.Wire;

namespace Smolmix.Dns.Tests.Wire;

/// <summary>RFC 1035 name rules on the wire: label and name limits, compression pointers, reserved label types, escapes.</summary>
public sealed class DnsNameTests
{
    [Fact]
    public void Label_of_63_bytes_is_read_and_a_length_byte_of_64_is_the_reserved_type_0x40()
    {
        byte[] ok = [.. Label(63), 0];
        Assert.Equal(new string('a', 63), Read(ok));

        byte[] tooLong = [.. Label(64), 0];
        var ex = Assert.Throws<DnsFormatException>(() => Read(tooLong));
        Assert.Contains("0x40", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Name_of_255_bytes_on_the_wire_is_read_and_one_of_256_is_rejected()
    {
        byte[] max = [.. Label(63), .. Label(63), .. Label(63), .. Label(61), 0];
        byte[] over = [.. Label(63), .. Label(63), .. Label(63), .. Label(62), 0];
        Assert.Equal(255, max.Length);
        Assert.Equal(256, over.Length);

        Assert.Equal(253, Read(max).Length);
        Assert.Throws<DnsFormatException>(() => Read(over));
    }

    [Fact]
    public void Name_over_255_bytes_through_pointers_is_rejected()
    {
        // 200 bytes of labels at 0, then a name of 60 bytes of labels that points back to them: 261 bytes.
        byte[] first = [.. Label(49), .. Label(49), .. Label(49), .. Label(49), 0];
        byte[] message = [.. first, .. Label(59), 0xC0, 0x00];

        int position = first.Length;
        Assert.Throws<DnsFormatException>(() => DnsName.Read(message, ref position, allowCompression: true));
    }

    [Theory]
    [InlineData(0x40)]
    [InlineData(0x80)]
    public void Reserved_label_types_are_rejected(byte type)
    {
        var ex = Assert.Throws<DnsFormatException>(() => Read([0x01, (byte)'a', type, 0x00, 0x00]));
        Assert.Contains($"0x{type:X2}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pointer_back_to_an_earlier_name_is_followed_and_the_position_ends_after_the_pointer()
    {
        byte[] message = [0x03, .. "www"u8, 0x07, .. "example"u8, 0x00, 0x02, .. "mx"u8, 0xC0, 0x04];
        int position = 13;

        string name = DnsName.Read(message, ref position, allowCompression: true);

        Assert.Equal("mx.example", name);
        Assert.Equal(message.Length, position);
    }

    [Fact]
    public void Pointer_to_itself_is_rejected()
    {
        byte[] message = [0x01, (byte)'a', 0x00, 0xC0, 0x03];
        int position = 3;
        Assert.Throws<DnsFormatException>(() => DnsName.Read(message, ref position, allowCompression: true));
    }

    [Fact]
    public void Pointer_loop_between_two_names_is_rejected()
    {
        // At 0: "a" then a pointer to 4; at 4: "b" then a pointer back to 0. Read from 4: 4 → 0 → 4 is not strictly backwards.
        byte[] message = [0x01, (byte)'a', 0xC0, 0x04, 0x01, (byte)'b', 0xC0, 0x00];
        int position = 4;
        var ex = Assert.Throws<DnsFormatException>(() => DnsName.Read(message, ref position, allowCompression: true));
        Assert.Contains("backwards", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Forward_pointer_is_rejected()
    {
        byte[] message = [0xC0, 0x04, 0x00, 0x00, 0x01, (byte)'a', 0x00];
        int position = 0;
        Assert.Throws<DnsFormatException>(() => DnsName.Read(message, ref position, allowCompression: true));
    }

    [Fact]
    public void Pointer_past_the_end_of_the_message_and_a_pointer_cut_in_half_are_rejected()
    {
        byte[] pastEnd = [0x01, (byte)'a', 0x00, 0x01, (byte)'b', 0xC0, 0x3F];
        int position = 3;
        Assert.Throws<DnsFormatException>(() => DnsName.Read(pastEnd, ref position, allowCompression: true));

        byte[] cut = [0x01, (byte)'a', 0x00, 0x01, (byte)'b', 0xC0];
        position = 3;
        Assert.Throws<DnsFormatException>(() => DnsName.Read(cut, ref position, allowCompression: true));
    }

    [Fact]
    public void Label_running_past_the_end_and_a_name_without_its_root_are_rejected()
    {
        Assert.Throws<DnsFormatException>(() => Read([0x05, (byte)'a', (byte)'b']));
        Assert.Throws<DnsFormatException>(() => Read([0x01, (byte)'a']));
    }

    [Fact]
    public void Chain_of_127_pointers_is_followed_and_128_is_rejected()
    {
        Assert.Equal(".", ReadEndOfChain(DnsName.MaxPointerHops));
        Assert.Throws<DnsFormatException>(() => ReadEndOfChain(DnsName.MaxPointerHops + 1));
    }

    [Fact]
    public void Compression_pointer_where_compression_is_not_allowed_is_rejected()
    {
        byte[] message = [0x00, 0xC0, 0x00];
        int position = 1;
        Assert.Throws<DnsFormatException>(() => DnsName.Read(message, ref position, allowCompression: false));
    }

    [Fact]
    public void Root_name_reads_as_a_dot()
    {
        Assert.Equal(".", Read([0x00]));
    }

    [Fact]
    public void Dots_backslashes_spaces_and_non_printable_bytes_in_labels_are_escaped()
    {
        byte[] wire = [0x09, (byte)'a', (byte)'.', (byte)'b', (byte)'\\', (byte)' ', 0x00, 0x7F, 0xFF, (byte)'"', 0x03, .. "com"u8, 0x00];

        string name = Read(wire);

        Assert.Equal("a\\.b\\\\\\032\\000\\127\\255\".com", name);
        Assert.Equal([[(byte)'a', (byte)'.', (byte)'b', (byte)'\\', (byte)' ', 0x00, 0x7F, 0xFF, (byte)'"'], "com"u8.ToArray()], DnsName.ToLabels(name));
    }

    [Fact]
    public void Escaped_name_encodes_back_to_the_same_labels()
    {
        var writer = new DnsWriter();
        writer.WriteName("a\\.b\\\\\\032\\000\\127\\255\".com", compress: false);

        Assert.Equal("09612e625c20007fff2203636f6d00", WireHex.Of(writer.Written));
    }

    [Fact]
    public void Label_that_is_a_single_dot_is_not_taken_for_a_trailing_dot()
    {
        Assert.Equal([[(byte)'.']], DnsName.ToLabels("\\."));
        Assert.Equal([[(byte)'a', (byte)'\\']], DnsName.ToLabels("a\\\\."));
        Assert.Equal([[(byte)'a', (byte)'.']], DnsName.ToLabels("a\\."));
    }

    [Theory]
    [InlineData("a..b", "an empty label")]
    [InlineData("a\\", "a lone backslash")]
    [InlineData("a\\25", "a short \\DDD")]
    [InlineData("a\\256", "a \\DDD over 255")]
    [InlineData("bücher.example", "a character outside ASCII")]
    public void Bad_presentation_names_are_rejected_when_encoding(string name, string why)
    {
        var ex = Assert.Throws<ArgumentException>(() => DnsName.ToLabels(name));
        Assert.False(string.IsNullOrEmpty(ex.Message), why);
    }

    [Fact]
    public void Presentation_names_over_the_label_and_name_limits_are_rejected_when_encoding()
    {
        string l63 = new('a', 63);
        Assert.Single(DnsName.ToLabels(l63));
        Assert.Throws<ArgumentException>(() => DnsName.ToLabels(new string('a', 64)));
        Assert.Equal(4, DnsName.ToLabels($"{l63}.{l63}.{l63}.{new string('b', 61)}").Count);
        Assert.Throws<ArgumentException>(() => DnsName.ToLabels($"{l63}.{l63}.{l63}.{new string('b', 62)}"));
    }

    [Fact]
    public void Names_compare_equal_ignoring_ASCII_case_and_one_trailing_dot()
    {
        Assert.True(DnsName.Equal("WWW.Example.COM.", "www.example.com"));
        Assert.False(DnsName.Equal("www.example.com", "www.example.co"));
    }

    [Fact]
    public void Encoder_compresses_only_a_suffix_of_the_same_case_so_names_keep_their_case()
    {
        DnsMessage m = DnsMessage.Query(1, new DnsQuestion("wWw.ExAmPlE.cOm", DnsRecordType.A), ednsPayloadSize: null);
        m.IsResponse = true;
        m.Answers.Add(new ARecord("www.example.com", TimeSpan.FromSeconds(1), System.Net.IPAddress.Loopback));
        m.Answers.Add(new ARecord("wWw.ExAmPlE.cOm", TimeSpan.FromSeconds(1), System.Net.IPAddress.Loopback));

        byte[] wire = m.Encode();
        DnsMessage parsed = DnsMessage.Parse(wire);

        Assert.Equal("wWw.ExAmPlE.cOm", parsed.Questions[0].Name);
        Assert.Equal(["www.example.com", "wWw.ExAmPlE.cOm"], parsed.Answers.Select(a => a.Name));
        Assert.Equal([0xC0, 0x0C], wire.AsSpan(wire.Length - 16, 2).ToArray()); // the last owner points at the question
    }

    private static string Read(byte[] message)
    {
        int position = 0;
        string name = DnsName.Read(message, ref position, allowCompression: true);
        Assert.Equal(message.Length, position);
        return name;
    }

    private static byte[] Label(int length) => [(byte)length, .. Enumerable.Repeat((byte)'a', length)];

    /// <summary>A root label at 0, then <paramref name="hops"/> pointers each to the one before; reads the last.</summary>
    private static string ReadEndOfChain(int hops)
    {
        var message = new List<byte> { 0x00 };
        for (int i = 0; i < hops; i++)
        {
            int target = i == 0 ? 0 : 1 + ((i - 1) * 2);
            message.Add((byte)(0xC0 | (target >> 8)));
            message.Add((byte)target);
        }

        int position = message.Count - 2;
        return DnsName.Read(message.ToArray(), ref position, allowCompression: true);
    }
}
