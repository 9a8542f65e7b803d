using System.Buffers.Binary;
using CsCheck;
using Smolmix.Wire;

namespace Smolmix.Tests.Wire;

public class FragmentReassemblerTests
{
    private static readonly TimeSpan T0 = TimeSpan.FromSeconds(1000);

    private static byte[] UdpV4(int payload, ushort id = 0x77, int seed = 1) =>
        Packets.Udp(Packets.V4A, Packets.V4B, 1111, 2222, Packets.RandomBytes(payload, seed), id);

    private static byte[] UdpV6(int payload, int seed = 1, params (IpProtocol, int)[] ext)
    {
        byte[] udp = Packets.UdpDatagram(Packets.V6A, Packets.V6B, 1111, 2222, Packets.RandomBytes(payload, seed));
        return Packets.V6WithExtensions(IpProtocol.Udp, udp, ext);
    }

    /// <summary>Feeds every fragment; asserts only the last completes; returns the datagram.</summary>
    private static byte[] FeedAll(FragmentReassembler r, IReadOnlyList<byte[]> fragments, TimeSpan? now = null)
    {
        for (int i = 0; i < fragments.Count; i++)
        {
            bool done = r.TryAdd(fragments[i], now ?? T0, out byte[]? d, out int len, out DropReason reason);
            Assert.Equal(DropReason.None, reason);
            Assert.Equal(i == fragments.Count - 1, done);
            if (done)
            {
                Assert.NotNull(d);
                Assert.Equal(d.Length, len);
                return d;
            }
            Assert.Null(d);
            Assert.Equal(0, len);
        }
        throw new InvalidOperationException("no fragments");
    }

    private static void AssertValidUdp(byte[] packet)
    {
        IpAddr s, d;
        byte[] udp;
        if (packet[0] >> 4 == 4)
        {
            Assert.True(Ipv4Header.TryParse(packet, out Ipv4Header h, out DropReason r), r.ToString());
            Assert.False(h.IsFragment);
            (s, d, udp) = (h.Source, h.Destination, h.Payload.ToArray());
        }
        else
        {
            Assert.True(Ipv6Header.TryParse(packet, out Ipv6Header h, out DropReason r), r.ToString());
            Assert.False(h.IsFragment);
            Assert.Equal(IpProtocol.Udp, h.Protocol);
            (s, d, udp) = (h.Source, h.Destination, h.Payload.ToArray());
        }
        Assert.True(UdpHeader.TryParse(udp, s, d, out _, out DropReason ur), ur.ToString());
    }

    [Fact]
    public void V4InOrder()
    {
        byte[] original = UdpV4(3000);
        var r = new FragmentReassembler();
        byte[] d = FeedAll(r, Fragments.SplitV4(original, 1000, 2000, 2504));
        Assert.Equal(original, d);
        Assert.Equal(0, r.DatagramCount);
        Assert.Equal(0, r.BytesInUse);
    }

    [Fact]
    public void V4ReverseOrder()
    {
        byte[] original = UdpV4(3000);
        List<byte[]> f = Fragments.SplitV4(original, 8, 1000, 2000);
        f.Reverse();
        Assert.Equal(original, FeedAll(new FragmentReassembler(), f));
    }

    [Fact]
    public void V4ReassembledHeaderIsFixed()
    {
        byte[] original = UdpV4(100);
        byte[] d = FeedAll(new FragmentReassembler(), Fragments.SplitV4(original, 48));
        AssertValidUdp(d);
        Assert.Equal(original.Length, BinaryPrimitives.ReadUInt16BigEndian(d.AsSpan(2)));
        Assert.Equal(0, d[6] & 0x3F);
        Assert.Equal(0, d[7]);
        Assert.Equal(Fragments.Checksum(original), Fragments.Checksum(d));
    }

    [Fact]
    public void V4KeepsFirstFragmentOptions()
    {
        // The first fragment carries a 4-byte option; the later one a bare header.
        byte[] data = Packets.RandomBytes(40, 3);
        byte[] first = new byte[24 + 16];
        Ipv4Header.Write(first, Packets.V4A, Packets.V4B, IpProtocol.Udp, 16, 5, 64, dontFragment: false, moreFragments: true);
        first.AsSpan(20, 20).Clear();
        first[0] = 0x46;
        first[20] = 0x94; first[21] = 4; // Router alert (copied), value 0.
        BinaryPrimitives.WriteUInt16BigEndian(first.AsSpan(2), 40);
        data.AsSpan(0, 16).CopyTo(first.AsSpan(24));
        first[10] = 0; first[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(first.AsSpan(10), InternetChecksum.Compute(first.AsSpan(0, 24)));
        byte[] second = Fragments.V4(5, 16, false, data.AsSpan(16));
        var r = new FragmentReassembler();
        Assert.False(r.TryAdd(second, T0, out _, out _, out DropReason reason));
        Assert.Equal(DropReason.None, reason);
        Assert.True(r.TryAdd(first, T0, out byte[]? d, out _, out _));
        Assert.True(Ipv4Header.TryParse(d, out Ipv4Header h, out _));
        Assert.Equal(24, h.HeaderLength);
        Assert.Equal(0x94, h.HeaderBytes[20]);
        Assert.Equal(64, h.TotalLength);
        Assert.True(h.Payload.SequenceEqual(data));
    }

    [Fact]
    public void V4AnyPermutationReassemblesByteExact() =>
        Gen.Select(Gen.Int[1, 8000], Gen.Int[1, 40], Gen.Int[0, 1000]).SelectMany((len, chunks, seed) =>
        {
            byte[] original = UdpV4(len, (ushort)seed, seed);
            int payload = original.Length - 20;
            var rnd = new Random(seed);
            var cuts = Enumerable.Range(0, chunks).Select(_ => rnd.Next(1, Math.Max(2, payload / 8)) * 8)
                .Where(c => c < payload).Distinct().Order().ToArray();
            return Gen.Shuffle(Fragments.SplitV4(original, cuts).ToArray()).Select(f => (original, f));
        }).Sample(x =>
        {
            Assert.Equal(x.original, FeedAll(new FragmentReassembler(), x.f));
        }, iter: 500);

    [Fact]
    public void V6InOrderReverseAndRandom()
    {
        byte[] original = UdpV6(5000);
        List<byte[]> frags = Fragmenter.Fragment(original, 1280, 0xABCDEF);
        Assert.Equal(original, FeedAll(new FragmentReassembler(), frags));
        frags.Reverse();
        Assert.Equal(original, FeedAll(new FragmentReassembler(), frags));
    }

    [Fact]
    public void V6WithExtensionHeadersBeforeTheFragmentHeader()
    {
        // Hop-by-hop and routing are unfragmentable; the destination options after routing travel in the data.
        byte[] original = UdpV6(3000, 5, (IpProtocol.HopByHop, 8), (IpProtocol.Ipv6Routing, 24), (IpProtocol.Ipv6DestinationOptions, 16));
        List<byte[]> frags = Fragmenter.Fragment(original, 1280, 7);
        foreach (byte[] f in frags)
        {
            Assert.True(Ipv6Header.TryParse(f, out Ipv6Header h, out _));
            Assert.Equal(40 + 8 + 24, h.FragmentHeaderOffset);
        }
        byte[] d = FeedAll(new FragmentReassembler(), frags.AsEnumerable().Reverse().ToList());
        Assert.Equal(original, d);
        AssertValidUdp(d);
    }

    [Fact]
    public void V6HandBuiltFragmentsWithExtensionHeaders()
    {
        byte[] udp = Packets.UdpDatagram(Packets.V6A, Packets.V6B, 5, 6, Packets.RandomBytes(60, 9));
        (IpProtocol, int)[] before = [(IpProtocol.HopByHop, 8), (IpProtocol.Ipv6DestinationOptions, 8), (IpProtocol.Ipv6Routing, 16)];
        var r = new FragmentReassembler();
        Assert.False(r.TryAdd(Fragments.V6(42, 32, false, udp.AsSpan(32), before: before), T0, out _, out _, out DropReason reason));
        Assert.Equal(DropReason.None, reason);
        Assert.True(r.TryAdd(Fragments.V6(42, 0, true, udp.AsSpan(0, 32), before: before), T0, out byte[]? d, out int len, out reason));
        Assert.Equal(DropReason.None, reason);
        Assert.Equal(40 + 32 + udp.Length, len);
        Assert.True(Ipv6Header.TryParse(d, out Ipv6Header h, out _));
        Assert.False(h.IsFragment);
        Assert.Equal(IpProtocol.Udp, h.Protocol);
        Assert.Equal(72, h.UpperLayerOffset);
        Assert.True(h.Payload.SequenceEqual(udp));
        Assert.Equal((byte)IpProtocol.Udp, d![40 + 16]); // The routing header's Next Header was fixed up.
        AssertValidUdp(d);
    }

    [Fact]
    public void V6AnyPermutationReassemblesByteExact() =>
        Gen.Select(Gen.Int[1, 9000], Gen.Int[0, 3], Gen.Int[0, 1000]).SelectMany((len, ext, seed) =>
        {
            (IpProtocol, int)[] headers = ext switch
            {
                0 => [],
                1 => [(IpProtocol.HopByHop, 8)],
                2 => [(IpProtocol.HopByHop, 8), (IpProtocol.Ipv6Routing, 24)],
                _ => [(IpProtocol.Ipv6DestinationOptions, 8), (IpProtocol.Ipv6Routing, 16), (IpProtocol.Ipv6DestinationOptions, 8)],
            };
            byte[] original = UdpV6(len, seed, headers);
            int mtu = 200 + seed % 1300;
            return Gen.Shuffle(Fragmenter.Fragment(original, mtu, (uint)seed).ToArray()).Select(f => (original, f));
        }).Sample(x =>
        {
            var list = x.f.ToList();
            if (list.Count == 1)
            {
                return; // Fitted the MTU: not a fragment.
            }
            Assert.Equal(x.original, FeedAll(new FragmentReassembler(maxFragmentsPerDatagram: 256), list));
        }, iter: 500);

    [Fact]
    public void V4DuplicatesAreIgnored()
    {
        byte[] original = UdpV4(2000);
        List<byte[]> f = Fragments.SplitV4(original, 800, 1600);
        var r = new FragmentReassembler();
        Assert.False(r.TryAdd(f[1], T0, out _, out _, out DropReason reason));
        int held = r.BytesInUse;
        Assert.False(r.TryAdd(f[1], T0, out _, out _, out reason));
        Assert.Equal(DropReason.None, reason);
        Assert.Equal(held, r.BytesInUse);
        Assert.False(r.TryAdd(f[0], T0, out _, out _, out _));
        Assert.False(r.TryAdd(f[0], T0, out _, out _, out _));
        Assert.True(r.TryAdd(f[2], T0, out byte[]? d, out _, out _));
        Assert.Equal(original, d);
    }

    [Fact]
    public void V6ExactDuplicatesAreIgnored()
    {
        byte[] original = UdpV6(3000);
        List<byte[]> f = Fragmenter.Fragment(original, 1280, 3);
        var r = new FragmentReassembler();
        Assert.False(r.TryAdd(f[0], T0, out _, out _, out DropReason reason));
        Assert.False(r.TryAdd(f[0], T0, out _, out _, out reason));
        Assert.Equal(DropReason.None, reason);
        Assert.False(r.TryAdd(f[2], T0, out _, out _, out _));
        Assert.False(r.TryAdd(f[2], T0, out _, out _, out reason));
        Assert.Equal(DropReason.None, reason);
        Assert.True(r.TryAdd(f[1], T0, out byte[]? d, out _, out _));
        Assert.Equal(original, d);
    }

    [Fact]
    public void V6OverlapDiscardsTheWholeDatagram()
    {
        byte[] data = Packets.RandomBytes(64, 4);
        var r = new FragmentReassembler();
        Assert.False(r.TryAdd(Fragments.V6(9, 0, true, data.AsSpan(0, 24)), T0, out _, out _, out DropReason reason));
        Assert.Equal(DropReason.None, reason);
        // Same bytes, but overlapping [16, 40): RFC 5722 says drop everything.
        Assert.False(r.TryAdd(Fragments.V6(9, 16, true, data.AsSpan(16, 24)), T0, out _, out _, out reason));
        Assert.Equal(DropReason.BadFragment, reason);
        Assert.Equal(0, r.DatagramCount);
        Assert.Equal(0, r.BytesInUse);
        Assert.Equal(1, r.Discarded);
        // The rest alone cannot complete it.
        Assert.False(r.TryAdd(Fragments.V6(9, 40, false, data.AsSpan(40)), T0, out _, out _, out reason));
        Assert.Equal(DropReason.None, reason);
        Assert.False(r.TryAdd(Fragments.V6(9, 24, true, data.AsSpan(24, 16)), T0, out _, out _, out _));
        Assert.Equal(1, r.DatagramCount);
    }

    [Fact]
    public void V6SameOffsetDifferentLengthIsAnOverlap()
    {
        byte[] data = Packets.RandomBytes(64, 4);
        var r = new FragmentReassembler();
        r.TryAdd(Fragments.V6(9, 8, true, data.AsSpan(8, 16)), T0, out _, out _, out _);
        Assert.False(r.TryAdd(Fragments.V6(9, 8, true, data.AsSpan(8, 24)), T0, out _, out _, out DropReason reason));
        Assert.Equal(DropReason.BadFragment, reason);
        Assert.Equal(0, r.DatagramCount);
    }

    [Fact]
    public void V6DuplicateWithDifferentBytesIsAnOverlap()
    {
        var r = new FragmentReassembler();
        r.TryAdd(Fragments.V6(9, 8, true, new byte[16]), T0, out _, out _, out _);
        byte[] other = new byte[16];
        other[3] = 1;
        Assert.False(r.TryAdd(Fragments.V6(9, 8, true, other), T0, out _, out _, out DropReason reason));
        Assert.Equal(DropReason.BadFragment, reason);
        Assert.Equal(0, r.DatagramCount);
    }

    [Fact]
    public void V4ConsistentOverlapIsMerged()
    {
        byte[] original = UdpV4(92); // 100 bytes of IP payload.
        byte[] payload = original[20..];
        var r = new FragmentReassembler();
        Assert.False(r.TryAdd(Fragments.V4(0x77, 16, true, payload.AsSpan(16, 32)), T0, out _, out _, out _));
        Assert.False(r.TryAdd(Fragments.V4(0x77, 64, true, payload.AsSpan(64, 16)), T0, out _, out _, out _));
        // Covers both held pieces and the gaps around and between them, agreeing where they overlap.
        Assert.False(r.TryAdd(Fragments.V4(0x77, 8, true, payload.AsSpan(8, 88)), T0, out _, out _, out DropReason reason));
        Assert.Equal(DropReason.None, reason);
        Assert.False(r.TryAdd(Fragments.V4(0x77, 96, false, payload.AsSpan(96)), T0, out _, out _, out _));
        Assert.True(r.TryAdd(Fragments.V4(0x77, 0, true, payload.AsSpan(0, 16)), T0, out byte[]? d, out _, out reason));
        Assert.Equal(DropReason.None, reason);
        Assert.Equal(original, d);
    }

    [Fact]
    public void V4ConflictingOverlapDiscardsTheDatagram()
    {
        byte[] payload = Packets.RandomBytes(64, 5);
        var r = new FragmentReassembler();
        r.TryAdd(Fragments.V4(1, 0, true, payload.AsSpan(0, 32)), T0, out _, out _, out _);
        byte[] changed = payload[24..48];
        changed[0] ^= 0xFF; // Byte 24 disagrees with what is held.
        Assert.False(r.TryAdd(Fragments.V4(1, 24, true, changed), T0, out _, out _, out DropReason reason));
        Assert.Equal(DropReason.BadFragment, reason);
        Assert.Equal(0, r.DatagramCount);
        Assert.Equal(0, r.BytesInUse);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void NonLastFragmentNotAMultipleOf8IsRejected(bool v6)
    {
        var r = new FragmentReassembler();
        byte[] ok = v6 ? Fragments.V6(1, 0, true, new byte[16]) : Fragments.V4(1, 0, true, new byte[16]);
        byte[] bad = v6 ? Fragments.V6(1, 16, true, new byte[12]) : Fragments.V4(1, 16, true, new byte[12]);
        r.TryAdd(ok, T0, out _, out _, out _);
        Assert.False(r.TryAdd(bad, T0, out _, out _, out DropReason reason));
        Assert.Equal(DropReason.BadFragment, reason);
        Assert.Equal(1, r.DatagramCount); // The fragment alone is dropped.
        byte[] last = v6 ? Fragments.V6(1, 16, false, new byte[12]) : Fragments.V4(1, 16, false, new byte[12]);
        Assert.True(r.TryAdd(last, T0, out _, out int len, out reason)); // A last fragment may be any length.
        Assert.Equal((v6 ? 40 : 20) + 28, len);
    }

    [Fact]
    public void EmptyNonLastFragmentIsRejected()
    {
        var r = new FragmentReassembler();
        Assert.False(r.TryAdd(Fragments.V4(1, 8, true, []), T0, out _, out _, out DropReason reason));
        Assert.Equal(DropReason.BadFragment, reason);
        Assert.False(r.TryAdd(Fragments.V6(1, 8, true, []), T0, out _, out _, out reason));
        Assert.Equal(DropReason.BadFragment, reason);
        Assert.Equal(0, r.DatagramCount);
    }

    [Fact]
    public void EmptyLastFragmentCompletes()
    {
        byte[] data = Packets.RandomBytes(16, 6);
        var r = new FragmentReassembler();
        r.TryAdd(Fragments.V4(1, 0, true, data), T0, out _, out _, out _);
        Assert.True(r.TryAdd(Fragments.V4(1, 16, false, []), T0, out byte[]? d, out _, out _));
        Assert.Equal(36, d!.Length);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FragmentBeyondKnownEndDiscards(bool v6)
    {
        var r = new FragmentReassembler();
        r.TryAdd(v6 ? Fragments.V6(2, 16, false, new byte[8]) : Fragments.V4(2, 16, false, new byte[8]), T0, out _, out _, out _);
        Assert.False(r.TryAdd(v6 ? Fragments.V6(2, 24, true, new byte[8]) : Fragments.V4(2, 24, true, new byte[8]),
            T0, out _, out _, out DropReason reason));
        Assert.Equal(DropReason.BadFragment, reason);
        Assert.Equal(0, r.DatagramCount);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SecondLastFragmentWithDifferentEndDiscards(bool v6)
    {
        var r = new FragmentReassembler();
        r.TryAdd(v6 ? Fragments.V6(3, 16, false, new byte[8]) : Fragments.V4(3, 16, false, new byte[8]), T0, out _, out _, out _);
        Assert.False(r.TryAdd(v6 ? Fragments.V6(3, 32, false, new byte[8]) : Fragments.V4(3, 32, false, new byte[8]),
            T0, out _, out _, out DropReason reason));
        Assert.Equal(DropReason.BadFragment, reason);
        Assert.Equal(0, r.DatagramCount);
    }

    [Fact]
    public void LastFragmentEndingBeforeHeldDataDiscards()
    {
        var r = new FragmentReassembler();
        r.TryAdd(Fragments.V4(4, 32, true, new byte[16]), T0, out _, out _, out _);
        Assert.False(r.TryAdd(Fragments.V4(4, 8, false, new byte[8]), T0, out _, out _, out DropReason reason));
        Assert.Equal(DropReason.BadFragment, reason);
        Assert.Equal(0, r.DatagramCount);
    }

    [Fact]
    public void DatagramOver65535IsRejected()
    {
        var r = new FragmentReassembler();
        // IPv4: 20 + 65528 + 8 > 65535.
        Assert.False(r.TryAdd(Fragments.V4(5, 65528, false, new byte[8]), T0, out _, out _, out DropReason reason));
        Assert.Equal(DropReason.BadFragment, reason);
        Assert.False(r.TryAdd(Fragments.V4(5, 65504, false, new byte[11]), T0, out _, out _, out reason));
        Assert.Equal(DropReason.None, reason); // 20 + 65515 = 65535 fits.
        // IPv6: payload length counts the unfragmentable extension headers: 8 + 65528 + 8 > 65535.
        Assert.False(r.TryAdd(Fragments.V6(5, 65528, false, new byte[8], before: [(IpProtocol.HopByHop, 8)]), T0, out _, out _, out reason));
        Assert.Equal(DropReason.BadFragment, reason);
        Assert.False(r.TryAdd(Fragments.V6(5, 65520, false, new byte[15]), T0, out _, out _, out reason));
        Assert.Equal(DropReason.None, reason); // 65535 exactly.
    }

    [Fact]
    public void LargestDatagramsReassemble()
    {
        byte[] v4 = UdpV4(65535 - 28);
        Assert.Equal(v4, FeedAll(new FragmentReassembler(), Fragmenter.Fragment(v4, 1500)));
        byte[] v6 = UdpV6(65535 - 8);
        Assert.Equal(v6, FeedAll(new FragmentReassembler(), Fragmenter.Fragment(v6, 9000, 1)));
    }

    [Fact]
    public void Timeouts()
    {
        var r = new FragmentReassembler();
        r.TryAdd(Fragments.V4(1, 0, true, new byte[8]), T0, out _, out _, out _);
        r.TryAdd(Fragments.V6(1, 0, true, new byte[8]), T0, out _, out _, out _);
        Assert.Equal(2, r.DatagramCount);
        Assert.Equal(0, r.Expire(T0 + TimeSpan.FromSeconds(29.999)));
        Assert.Equal(1, r.Expire(T0 + TimeSpan.FromSeconds(30))); // IPv4 default 30 s.
        Assert.Equal(0, r.Expire(T0 + TimeSpan.FromSeconds(59.999)));
        Assert.Equal(1, r.Expire(T0 + TimeSpan.FromSeconds(60))); // IPv6 default 60 s.
        Assert.Equal(0, r.DatagramCount);
        Assert.Equal(0, r.BytesInUse);
        Assert.Equal(2, r.Expired);
    }

    [Fact]
    public void TimeoutRunsFromTheFirstFragment()
    {
        var r = new FragmentReassembler(timeout: TimeSpan.FromSeconds(5));
        byte[] original = UdpV4(100);
        List<byte[]> f = Fragments.SplitV4(original, 40, 80);
        r.TryAdd(f[0], T0, out _, out _, out _);
        r.TryAdd(f[1], T0 + TimeSpan.FromSeconds(4), out _, out _, out _);
        // Arriving after the timeout: the stale datagram is dropped and this fragment starts a new one.
        Assert.False(r.TryAdd(f[2], T0 + TimeSpan.FromSeconds(5), out _, out _, out DropReason reason));
        Assert.Equal(DropReason.None, reason);
        Assert.Equal(1, r.Expired);
        Assert.Equal(1, r.DatagramCount);
        Assert.False(r.TryAdd(f[0], T0 + TimeSpan.FromSeconds(6), out _, out _, out _));
        Assert.True(r.TryAdd(f[1], T0 + TimeSpan.FromSeconds(6), out byte[]? d, out _, out _));
        Assert.Equal(original, d);
    }

    [Fact]
    public void ByteBudgetEvictsTheOldestDatagram()
    {
        var r = new FragmentReassembler(maxBytes: 5000);
        byte[] a = new byte[2400];
        r.TryAdd(Fragments.V4(1, 0, true, a), T0, out _, out _, out _);
        r.TryAdd(Fragments.V4(2, 0, true, a), T0 + TimeSpan.FromSeconds(1), out _, out _, out _);
        Assert.Equal(2, r.DatagramCount);
        Assert.Equal(2 * (2400 + 20), r.BytesInUse);
        Assert.False(r.TryAdd(Fragments.V4(3, 0, true, a), T0 + TimeSpan.FromSeconds(2), out _, out _, out DropReason reason));
        Assert.Equal(DropReason.None, reason);
        Assert.Equal(2, r.DatagramCount);
        Assert.Equal(1, r.Evicted);
        Assert.True(r.BytesInUse <= 5000);
        // Datagram 1 was the oldest: its second half starts a fresh datagram that cannot complete.
        Assert.False(r.TryAdd(Fragments.V4(1, 2400, false, new byte[8]), T0 + TimeSpan.FromSeconds(3), out _, out _, out _));
        // Datagram 3 survived.
        Assert.True(r.TryAdd(Fragments.V4(3, 2400, false, new byte[8]), T0 + TimeSpan.FromSeconds(3), out _, out _, out _));
    }

    [Fact]
    public void FragmentLargerThanTheBudgetIsDropped()
    {
        var r = new FragmentReassembler(maxBytes: 1000);
        Assert.False(r.TryAdd(Fragments.V4(1, 0, true, new byte[1024]), T0, out _, out _, out DropReason reason));
        Assert.Equal(DropReason.ReassemblyFull, reason);
        Assert.Equal(0, r.DatagramCount);
        Assert.Equal(0, r.BytesInUse);
    }

    [Fact]
    public void DatagramGrowingPastTheBudgetIsDropped()
    {
        var r = new FragmentReassembler(maxBytes: 1000);
        Assert.False(r.TryAdd(Fragments.V4(1, 0, true, new byte[512]), T0, out _, out _, out DropReason reason));
        Assert.Equal(DropReason.None, reason);
        Assert.False(r.TryAdd(Fragments.V4(1, 512, true, new byte[512]), T0, out _, out _, out reason));
        Assert.Equal(DropReason.ReassemblyFull, reason);
        Assert.Equal(0, r.DatagramCount);
        Assert.Equal(0, r.BytesInUse);
    }

    [Fact]
    public void DatagramLimitEvictsTheOldest()
    {
        var r = new FragmentReassembler(maxDatagrams: 2);
        r.TryAdd(Fragments.V4(1, 0, true, new byte[8]), T0, out _, out _, out _);
        r.TryAdd(Fragments.V4(2, 0, true, new byte[8]), T0, out _, out _, out _);
        r.TryAdd(Fragments.V4(3, 0, true, new byte[8]), T0, out _, out _, out _);
        Assert.Equal(2, r.DatagramCount);
        Assert.Equal(1, r.Evicted);
        // 1 is gone (oldest by arrival order); 2 and 3 complete.
        Assert.True(r.TryAdd(Fragments.V4(2, 8, false, new byte[8]), T0, out _, out _, out _));
        Assert.True(r.TryAdd(Fragments.V4(3, 8, false, new byte[8]), T0, out _, out _, out _));
        Assert.False(r.TryAdd(Fragments.V4(1, 8, false, new byte[8]), T0, out _, out _, out _));
    }

    [Fact]
    public void DatagramLimitPrefersExpiringToEvicting()
    {
        var r = new FragmentReassembler(maxDatagrams: 2, timeout: TimeSpan.FromSeconds(10));
        r.TryAdd(Fragments.V4(1, 0, true, new byte[8]), T0, out _, out _, out _);
        r.TryAdd(Fragments.V4(2, 0, true, new byte[8]), T0 + TimeSpan.FromSeconds(5), out _, out _, out _);
        r.TryAdd(Fragments.V4(3, 0, true, new byte[8]), T0 + TimeSpan.FromSeconds(10), out _, out _, out _);
        Assert.Equal(1, r.Expired);
        Assert.Equal(0, r.Evicted);
    }

    [Fact]
    public void TooManyFragmentsDiscards()
    {
        var r = new FragmentReassembler(maxFragmentsPerDatagram: 4);
        for (int i = 0; i < 4; i++)
        {
            Assert.False(r.TryAdd(Fragments.V4(1, i * 8, true, new byte[8]), T0, out _, out _, out DropReason ok));
            Assert.Equal(DropReason.None, ok);
        }
        Assert.False(r.TryAdd(Fragments.V4(1, 32, true, new byte[8]), T0, out _, out _, out DropReason reason));
        Assert.Equal(DropReason.BadFragment, reason);
        Assert.Equal(0, r.DatagramCount);
    }

    [Fact]
    public void KeysKeepDatagramsApart()
    {
        byte[] data = Packets.RandomBytes(16, 8);
        var r = new FragmentReassembler();
        r.TryAdd(Fragments.V4(1, 0, true, data.AsSpan(0, 8), IpProtocol.Udp), T0, out _, out _, out _);
        r.TryAdd(Fragments.V4(1, 0, true, data.AsSpan(0, 8), IpProtocol.Tcp), T0, out _, out _, out _); // Other protocol.
        r.TryAdd(Fragments.V4(1, 0, true, data.AsSpan(0, 8), IpProtocol.Udp, src: Packets.V4B, dst: Packets.V4A), T0, out _, out _, out _);
        r.TryAdd(Fragments.V4(2, 0, true, data.AsSpan(0, 8)), T0, out _, out _, out _); // Other id.
        r.TryAdd(Fragments.V6(1, 0, true, data.AsSpan(0, 8)), T0, out _, out _, out _);
        r.TryAdd(Fragments.V6(1, 0, true, data.AsSpan(0, 8), src: IpAddr.Parse("2001:db8::99")), T0, out _, out _, out _);
        Assert.Equal(6, r.DatagramCount);
        Assert.True(r.TryAdd(Fragments.V4(1, 8, false, data.AsSpan(8), IpProtocol.Tcp), T0, out byte[]? d, out _, out _));
        Assert.True(Ipv4Header.TryParse(d, out Ipv4Header h, out _));
        Assert.Equal(IpProtocol.Tcp, h.Protocol);
        Assert.Equal(5, r.DatagramCount);
    }

    [Fact]
    public void V6FragmentIdIsTheKeyNotTheNextHeader()
    {
        var r = new FragmentReassembler();
        r.TryAdd(Fragments.V6(7, 0, true, new byte[8], IpProtocol.Udp), T0, out _, out _, out _);
        // A later fragment's next-header value is ignored (RFC 8200: taken from the first fragment).
        Assert.True(r.TryAdd(Fragments.V6(7, 8, false, new byte[8], IpProtocol.Tcp), T0, out byte[]? d, out _, out _));
        Assert.Equal((byte)IpProtocol.Udp, d![6]);
    }

    [Fact]
    public void WholePacketsPassThrough()
    {
        var r = new FragmentReassembler();
        byte[] v4 = [.. UdpV4(10), 0xEE]; // With link padding.
        Assert.True(r.TryAdd(v4, T0, out byte[]? d, out int len, out _));
        Assert.Equal(v4.Length - 1, len);

        // IPv6 atomic fragment (RFC 6946): returned at once without its fragment header.
        byte[] udp = Packets.UdpDatagram(Packets.V6A, Packets.V6B, 1, 2, [1, 2, 3]);
        byte[] atomic = Fragments.V6(1, 0, false, udp, before: [(IpProtocol.HopByHop, 8)]);
        Assert.True(r.TryAdd(atomic, T0, out d, out len, out DropReason reason));
        Assert.Equal(DropReason.None, reason);
        Assert.Equal(40 + 8 + udp.Length, len);
        AssertValidUdp(d!);
        Assert.Equal(0, r.DatagramCount);

        // An IPv6 packet without a fragment header is not for the reassembler.
        Assert.False(r.TryAdd(UdpV6(10), T0, out d, out _, out reason));
        Assert.Equal(DropReason.BadFragment, reason);
        Assert.Null(d);
    }

    [Fact]
    public void MalformedPacketsReportTheParseError()
    {
        var r = new FragmentReassembler();
        Assert.False(r.TryAdd([], T0, out _, out _, out DropReason reason));
        Assert.Equal(DropReason.Truncated, reason);
        Assert.False(r.TryAdd([0x55, 0, 0, 0], T0, out _, out _, out reason));
        Assert.Equal(DropReason.BadVersion, reason);
        byte[] f = Fragments.V4(1, 0, true, new byte[8]);
        f[10] ^= 1;
        Assert.False(r.TryAdd(f, T0, out _, out _, out reason));
        Assert.Equal(DropReason.BadChecksum, reason);
        byte[] g = Fragments.V6(1, 0, true, new byte[8]);
        Assert.False(r.TryAdd(g.AsSpan(0, g.Length - 1), T0, out _, out _, out reason));
        Assert.Equal(DropReason.Truncated, reason);
        Assert.Equal(0, r.DatagramCount);
    }

    [Fact]
    public void ConstructorRejectsNonsense()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new FragmentReassembler(maxBytes: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FragmentReassembler(timeout: TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FragmentReassembler(maxFragmentsPerDatagram: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FragmentReassembler(maxDatagrams: -1));
    }

    [Fact]
    public void ClearDropsEverything()
    {
        var r = new FragmentReassembler();
        r.TryAdd(Fragments.V4(1, 0, true, new byte[8]), T0, out _, out _, out _);
        r.Clear();
        Assert.Equal(0, r.DatagramCount);
        Assert.Equal(0, r.BytesInUse);
    }

    [Fact]
    public void AdversarialFragmentsKeepMemoryBounded()
    {
        const int MaxBytes = 20000;
        var r = new FragmentReassembler(MaxBytes, TimeSpan.FromSeconds(1), maxFragmentsPerDatagram: 8, maxDatagrams: 4);
        int step = 0;
        Gen.Select(Gen.Bool, Gen.Int[0, 5], Gen.Int[0, 8191], Gen.Int[0, 300], Gen.Bool, Gen.Byte).Sample((v6, id, off, len, more, fill) =>
        {
            byte[] data = new byte[len];
            Array.Fill(data, (byte)(fill & 3));
            byte[] p = v6 ? Fragments.V6((uint)id, off * 8, more, data) : Fragments.V4((ushort)id, off * 8, more, data);
            TimeSpan now = TimeSpan.FromMilliseconds(10 * step++);
            if (r.TryAdd(p, now, out byte[]? d, out int n, out DropReason reason))
            {
                Assert.Equal(DropReason.None, reason);
                Assert.Equal(d!.Length, n);
                if (v6)
                {
                    Assert.True(Ipv6Header.TryParse(d, out Ipv6Header h, out DropReason pr), pr.ToString());
                    Assert.False(h.IsFragment);
                }
                else
                {
                    Assert.True(Ipv4Header.TryParse(d, out Ipv4Header h, out DropReason pr), pr.ToString());
                    Assert.False(h.IsFragment);
                }
            }
            Assert.InRange(r.BytesInUse, 0, MaxBytes);
            Assert.InRange(r.DatagramCount, 0, 4);
        }, iter: 20000, threads: 1);
        r.Expire(TimeSpan.FromDays(1));
        Assert.Equal(0, r.DatagramCount);
        Assert.Equal(0, r.BytesInUse);
    }
}
