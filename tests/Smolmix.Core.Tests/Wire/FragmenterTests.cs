using System.Buffers.Binary;
using CsCheck;
using Smolmix.Wire;

namespace Smolmix.Tests.Wire;

public class FragmenterTests
{
    private static readonly TimeSpan T0 = TimeSpan.FromSeconds(1);

    private static byte[] Reassemble(IEnumerable<byte[]> fragments, int maxFragments = 4096)
    {
        var r = new FragmentReassembler(maxFragmentsPerDatagram: maxFragments);
        byte[]? result = null;
        foreach (byte[] f in fragments)
        {
            Assert.Null(result);
            if (r.TryAdd(f, T0, out byte[]? d, out _, out DropReason reason))
            {
                result = d;
            }
            Assert.Equal(DropReason.None, reason);
        }
        Assert.NotNull(result);
        return result;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PacketThatFitsPassesUnchanged(bool v6)
    {
        byte[] p = v6 ? Packets.Udp(Packets.V6A, Packets.V6B, 1, 2, new byte[100])
            : Packets.Udp(Packets.V4A, Packets.V4B, 1, 2, new byte[100], dontFragment: true);
        List<byte[]> f = Fragmenter.Fragment(p, p.Length);
        Assert.Equal(p, Assert.Single(f));
    }

    [Fact]
    public void LinkPaddingIsNotSent()
    {
        byte[] p = [.. Packets.Udp(Packets.V4A, Packets.V4B, 1, 2, new byte[10]), 0, 0];
        Assert.Equal(p.Length - 2, Assert.Single(Fragmenter.Fragment(p, 1500)).Length);
    }

    [Fact]
    public void DontFragmentIsRespected()
    {
        byte[] p = Packets.Udp(Packets.V4A, Packets.V4B, 1, 2, new byte[2000], dontFragment: true);
        Assert.False(Fragmenter.TryFragment(p, 1500, 0, _ => Assert.Fail("sent"), out int count, out DropReason reason));
        Assert.Equal(0, count);
        Assert.Equal(DropReason.BadFragment, reason);
        Assert.Throws<ArgumentException>(() => Fragmenter.Fragment(p, 1500));
    }

    [Fact]
    public void MtuTooSmallIsRefused()
    {
        byte[] p4 = Packets.Udp(Packets.V4A, Packets.V4B, 1, 2, new byte[100]);
        Assert.False(Fragmenter.TryFragment(p4, 27, 0, _ => { }, out _, out DropReason reason));
        Assert.Equal(DropReason.BadFragment, reason);
        Assert.True(Fragmenter.TryFragment(p4, 28, 0, _ => { }, out int count, out _));
        Assert.Equal(14, count); // 108 bytes, 8 at a time.
        byte[] p6 = Packets.Udp(Packets.V6A, Packets.V6B, 1, 2, new byte[100]);
        Assert.False(Fragmenter.TryFragment(p6, 55, 0, _ => { }, out _, out reason));
        Assert.Equal(DropReason.BadFragment, reason);
    }

    [Fact]
    public void AlreadyFragmentedIpv6IsRefused()
    {
        byte[] f = Fragments.V6(1, 0, true, new byte[2000]);
        Assert.False(Fragmenter.TryFragment(f, 1280, 0, _ => { }, out _, out DropReason reason));
        Assert.Equal(DropReason.BadFragment, reason);
    }

    [Fact]
    public void MalformedInputReportsTheParseError()
    {
        Assert.False(Fragmenter.TryFragment([], 1500, 0, _ => { }, out _, out DropReason reason));
        Assert.Equal(DropReason.Truncated, reason);
        Assert.False(Fragmenter.TryFragment([0x75, 1, 2], 1500, 0, _ => { }, out _, out reason));
        Assert.Equal(DropReason.BadVersion, reason);
        byte[] p = Packets.Udp(Packets.V4A, Packets.V4B, 1, 2, new byte[10]);
        p[10] ^= 0xFF;
        Assert.False(Fragmenter.TryFragment(p, 1500, 0, _ => { }, out _, out reason));
        Assert.Equal(DropReason.BadChecksum, reason);
    }

    [Fact]
    public void V4FragmentsAreWellFormed()
    {
        byte[] p = Packets.Udp(Packets.V4A, Packets.V4B, 1, 2, Packets.RandomBytes(4000, 1), id: 0x5151);
        List<byte[]> frags = Fragmenter.Fragment(p, 1500);
        Assert.Equal(3, frags.Count);
        int expected = 0;
        for (int i = 0; i < frags.Count; i++)
        {
            Assert.True(frags[i].Length <= 1500);
            Assert.True(Ipv4Header.TryParse(frags[i], out Ipv4Header h, out DropReason r), r.ToString());
            Assert.Equal(0x5151, h.Identification);
            Assert.False(h.DontFragment);
            Assert.Equal(i < frags.Count - 1, h.MoreFragments);
            Assert.Equal(expected, h.FragmentOffset);
            Assert.True(h.Payload.SequenceEqual(p.AsSpan(20 + expected, h.Payload.Length)));
            if (h.MoreFragments)
            {
                Assert.Equal(1480, h.Payload.Length);
            }
            expected += h.Payload.Length;
        }
        Assert.Equal(p.Length - 20, expected);
        Assert.Equal(p, Reassemble(frags));
    }

    [Fact]
    public void V4OnlyCopiedOptionsGoInLaterFragments()
    {
        // Header with: LSRR-like copied option (0x83, len 7), NOP, record-route-like uncopied (0x07, len 7), EOL pad.
        byte[] options = [0x83, 7, 4, 1, 2, 3, 4, 1, 0x07, 7, 4, 5, 6, 7, 8, 0];
        byte[] data = Packets.RandomBytes(200, 2);
        var p = new byte[20 + options.Length + data.Length];
        Ipv4Header.Write(p, Packets.V4A, Packets.V4B, IpProtocol.Udp, 0, 9, dontFragment: false);
        p[0] = (byte)(0x40 | (20 + options.Length) / 4);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)p.Length);
        options.CopyTo(p, 20);
        data.CopyTo(p, 36);
        p[10] = 0; p[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(10), InternetChecksum.Compute(p.AsSpan(0, 36)));

        List<byte[]> frags = Fragmenter.Fragment(p, 100);
        Assert.True(Ipv4Header.TryParse(frags[0], out Ipv4Header first, out _));
        Assert.Equal(36, first.HeaderLength);
        Assert.True(first.HeaderBytes[20..].SequenceEqual(options));
        for (int i = 1; i < frags.Count; i++)
        {
            Assert.True(Ipv4Header.TryParse(frags[i], out Ipv4Header h, out DropReason r), r.ToString());
            Assert.Equal(28, h.HeaderLength);
            Assert.Equal("83070401020304" + "00", Convert.ToHexString(h.HeaderBytes[20..]));
        }
        Assert.Equal(p, Reassemble(frags));
    }

    [Fact]
    public void V4RefragmentingAFragmentKeepsItsPlace()
    {
        byte[] original = Packets.Udp(Packets.V4A, Packets.V4B, 1, 2, Packets.RandomBytes(3000, 3), id: 77);
        List<byte[]> big = Fragmenter.Fragment(original, 1500);
        var small = big.SelectMany(f => Fragmenter.Fragment(f, 600)).ToList();
        Assert.True(small.Count > big.Count);
        Assert.True(Ipv4Header.TryParse(small[^1], out Ipv4Header last, out _));
        Assert.False(last.MoreFragments);
        Assert.Equal(original, Reassemble(small));
        small.Reverse();
        Assert.Equal(original, Reassemble(small));
    }

    [Fact]
    public void V6FragmentsAreWellFormed()
    {
        byte[] udp = Packets.UdpDatagram(Packets.V6A, Packets.V6B, 1, 2, Packets.RandomBytes(4000, 4));
        byte[] p = Packets.V6WithExtensions(IpProtocol.Udp, udp,
            (IpProtocol.HopByHop, 8), (IpProtocol.Ipv6DestinationOptions, 8), (IpProtocol.Ipv6Routing, 16),
            (IpProtocol.Ipv6DestinationOptions, 8));
        List<byte[]> frags = Fragmenter.Fragment(p, 1280, 0xCAFEBABE);
        int unfrag = 40 + 8 + 8 + 16;
        int expected = 0;
        for (int i = 0; i < frags.Count; i++)
        {
            byte[] f = frags[i];
            Assert.True(f.Length <= 1280);
            Assert.True(Ipv6Header.TryParse(f, out Ipv6Header h, out DropReason r), r.ToString());
            Assert.True(h.IsFragment);
            Assert.Equal(unfrag, h.FragmentHeaderOffset);
            Assert.Equal(0xCAFEBABEu, h.FragmentId);
            Assert.Equal(IpProtocol.Ipv6DestinationOptions, h.Protocol); // The fragmentable part starts there.
            Assert.Equal(i < frags.Count - 1, h.MoreFragments);
            Assert.Equal(expected, h.FragmentOffset);
            Assert.True(f.AsSpan(0, 40).Slice(8).SequenceEqual(p.AsSpan(8, 32)));
            Assert.Equal((byte)IpProtocol.Ipv6Fragment, f[40 + 16]); // The routing header now names the fragment header.
            Assert.True(h.Payload.SequenceEqual(p.AsSpan(unfrag + expected, h.Payload.Length)));
            if (h.MoreFragments)
            {
                Assert.Equal(0, h.Payload.Length % 8);
            }
            expected += h.Payload.Length;
        }
        Assert.Equal(p.Length - unfrag, expected);
        Assert.Equal(p, Reassemble(frags));
    }

    [Fact]
    public void V6WithoutExtensionHeaders()
    {
        byte[] p = Packets.Tcp(Packets.V6A, Packets.V6B, 1, 2, 3, 4, TcpFlags.Ack, 5, TcpOptions.Empty, Packets.RandomBytes(1500, 5));
        List<byte[]> frags = Fragmenter.Fragment(p, 1280, 1);
        Assert.Equal(2, frags.Count);
        Assert.Equal((byte)IpProtocol.Ipv6Fragment, frags[0][6]);
        Assert.Equal((byte)IpProtocol.Tcp, frags[0][40]);
        Assert.Equal(p, Reassemble(frags));
    }

    [Fact]
    public void SinkSeesEachFragmentOnce()
    {
        byte[] p = Packets.Udp(Packets.V4A, Packets.V4B, 1, 2, new byte[5000]);
        int seen = 0;
        Assert.True(Fragmenter.TryFragment(p, 1000, 0, f => { seen++; Assert.True(f.Length <= 1000); }, out int count, out DropReason reason));
        Assert.Equal(DropReason.None, reason);
        Assert.Equal(seen, count);
        Assert.Equal((5008 + 975) / 976, count);
    }

    [Fact]
    public void RandomRoundTrips() =>
        Gen.Select(Gen.Bool, Gen.Int[0, 20000], Gen.Int[68, 9000], Gen.Int[0, 1 << 20]).Sample((v6, len, mtu, seed) =>
        {
            if (v6)
            {
                mtu = Math.Max(mtu, 1280);
            }
            byte[] p = v6 ? Packets.Udp(Packets.V6A, Packets.V6B, 1, 2, Packets.RandomBytes(len, seed))
                : Packets.Udp(Packets.V4A, Packets.V4B, 1, 2, Packets.RandomBytes(Math.Min(len, 65507), seed), (ushort)seed);
            List<byte[]> frags = Fragmenter.Fragment(p, mtu, (uint)seed);
            Assert.All(frags, f => Assert.True(f.Length <= mtu));
            if (frags.Count == 1)
            {
                Assert.Equal(p, frags[0]);
                return;
            }
            byte[][] shuffled = [.. frags];
            new Random(seed).Shuffle(shuffled);
            Assert.Equal(p, Reassemble(shuffled));
        }, iter: 300);
}
