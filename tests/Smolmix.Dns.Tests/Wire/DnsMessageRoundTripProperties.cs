using CsCheck;
using Smolmix.Dns.Fuzz;
using Smolmix.Dns.Wire;

namespace Smolmix.Dns.Tests.Wire;

/// <summary>Encode then Parse gives back every field of any valid message; encoding is then stable byte for byte.</summary>
public sealed class DnsMessageRoundTripProperties
{
    [Fact]
    public void Parse_of_Encode_equals_the_original_message()
    {
        DnsMessageGen.Message.Sample(
            m =>
            {
                byte[] wire = m.Encode();
                DnsMessage parsed = DnsMessage.Parse(wire);
                Assert.Equal(DnsMessageText.Of(m), DnsMessageText.Of(parsed));
                Assert.Equal(wire, parsed.Encode());
            },
            iter: 3000,
            print: m => DnsMessageText.Of(m));
    }

    [Fact]
    public void Encoded_names_round_trip_whatever_bytes_their_labels_hold()
    {
        DnsMessageGen.Name.Sample(
            name =>
            {
                var writer = new DnsWriter();
                writer.WriteName(name);
                int position = 0;
                Assert.Equal(name, DnsName.Read(writer.Written, ref position, allowCompression: true));
                Assert.Equal(writer.Position, position);
            },
            iter: 5000);
    }

    [Fact]
    public void Every_seed_of_the_fuzz_corpus_passes_the_fuzz_target()
    {
        foreach ((string name, DnsMessage message) in DnsSeedMessages.All())
        {
            byte[] wire = message.Encode();
            DnsRoundTripTarget.Check(wire);
            Assert.Equal(DnsMessageText.Of(message), DnsMessageText.Of(DnsMessage.Parse(wire)));
            Assert.False(string.IsNullOrEmpty(name));
        }
    }

    [Fact]
    public void EncodeTruncated_of_any_message_fits_or_keeps_only_the_header_question_and_OPT()
    {
        Gen.Select(DnsMessageGen.Message, Gen.Int[12, 600]).Sample(
            (m, max) =>
            {
                byte[] whole = m.Encode();
                byte[] truncated = m.EncodeTruncated(max);
                if (whole.Length <= max)
                {
                    Assert.Equal(whole, truncated);
                    return;
                }

                DnsMessage parsed = DnsMessage.Parse(truncated);
                Assert.True(parsed.Truncated);
                Assert.Equal(m.Questions.Count, parsed.Questions.Count);
                Assert.Empty(parsed.Answers.Concat(parsed.Authorities).Concat(parsed.Additionals));
                Assert.Equal(m.ResponseCode, parsed.ResponseCode);
            },
            iter: 1000);
    }
}
