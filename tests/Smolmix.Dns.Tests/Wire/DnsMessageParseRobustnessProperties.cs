using System.Diagnostics;
using CsCheck;
using Smolmix.Dns.Fuzz;
using Smolmix.Dns.Wire;

namespace Smolmix.Dns.Tests.Wire;

/// <summary>
/// Parse on hostile bytes: random data and mutations (bit flips, truncations, splices, overwrites) of valid
/// messages. Only <see cref="DnsFormatException"/> may escape, each parse returns quickly, and whatever
/// parses survives the fuzz target's round trip (<see cref="DnsRoundTripTarget"/>).
/// </summary>
public sealed class DnsMessageParseRobustnessProperties
{
    private static readonly TimeSpan SlowParse = TimeSpan.FromSeconds(2);

    private static readonly byte[][] SeedWire = DnsSeedMessages.All().Select(s => s.Message.Encode()).ToArray();

    private static readonly Gen<byte[]> Valid = Gen.Frequency(
        (3, DnsMessageGen.Message.Select(m => m.Encode())),
        (1, Gen.Int[0, 1000].Select(i => SeedWire[i % SeedWire.Length])));

    private enum Mutation
    {
        FlipBit,
        Truncate,
        Splice,
        Overwrite,
        Insert,
    }

    [Fact]
    public void Random_bytes_only_ever_raise_DnsFormatException()
    {
        Gen.Byte.Array[0, 600].Sample(AcceptOrReject, iter: 20000);
    }

    [Fact]
    public void Random_bytes_behind_a_header_with_small_counts_only_ever_raise_DnsFormatException()
    {
        Gen.Select(Gen.Byte.Array[4], Gen.Byte[0, 3].Array[4], Gen.Byte.Array[0, 300], (idFlags, counts, body) =>
                (byte[])[.. idFlags, 0, counts[0], 0, counts[1], 0, counts[2], 0, counts[3], .. body])
            .Sample(AcceptOrReject, iter: 20000);
    }

    [Fact]
    public void Mutations_of_valid_messages_only_ever_raise_DnsFormatException()
    {
        Gen.Select(Valid, Valid, Gen.Enum<Mutation>().Array[1, 4], Gen.Int.Array[8], (wire, other, mutations, r) => Mutate(wire, other, mutations, r))
            .Sample(AcceptOrReject, iter: 20000, print: b => Convert.ToHexString(b));
    }

    private static void AcceptOrReject(byte[] input)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            DnsRoundTripTarget.Check(input);
        }
        catch (Exception ex) when (ex is not DnsFormatException)
        {
            Assert.Fail($"{ex.GetType().Name} on {Convert.ToHexString(input)}: {ex}");
        }

        Assert.True(clock.Elapsed < SlowParse, $"Parse took {clock.Elapsed} on {Convert.ToHexString(input)}");
    }

    private static byte[] Mutate(byte[] wire, byte[] other, Mutation[] mutations, int[] r)
    {
        var bytes = new List<byte>(wire);
        for (int i = 0; i < mutations.Length; i++)
        {
            int at = bytes.Count == 0 ? 0 : (int)((uint)r[i] % (uint)bytes.Count);
            int from = other.Length == 0 ? 0 : (int)((uint)r[i + 4] % (uint)other.Length);
            switch (mutations[i])
            {
                case Mutation.FlipBit when bytes.Count > 0:
                    bytes[at] ^= (byte)(1 << (r[i + 4] & 7));
                    break;
                case Mutation.Truncate:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case Mutation.Splice:
                    bytes.RemoveRange(at, bytes.Count - at);
                    bytes.AddRange(other.Skip(from));
                    break;
                case Mutation.Overwrite when bytes.Count > 0:
                    bytes[at] = (byte)(r[i + 4] >> 8);
                    break;
                case Mutation.Insert:
                    bytes.InsertRange(at, other.Skip(from).Take(1 + (r[i + 4] & 15)));
                    break;
            }
        }

        return bytes.ToArray();
    }
}
