using CsCheck;
using Smolmix.Wire;

namespace Smolmix.Tests.Wire;

/// <summary>No parser throws, whatever the bytes; whatever a parser accepts can be read without throwing.</summary>
public class RandomInputTests
{
    private static readonly FragmentSink Ignore = _ => { };

    /// <summary>Runs every parser over <paramref name="b"/>, touching every accessor of what parses.</summary>
    internal static void ParseEverything(byte[] b)
    {
        if (Ipv4Header.TryParse(b, out Ipv4Header v4, out DropReason r))
        {
            Assert.Equal(DropReason.None, r);
            _ = (v4.HeaderLength, v4.TotalLength, v4.Identification, v4.IsFragment, v4.FragmentOffset, v4.Ttl,
                v4.Protocol, v4.Source, v4.Destination, v4.HeaderBytes.Length, v4.Payload.Length);
            ParseTransport(v4.Payload.ToArray(), v4.Source, v4.Destination);
        }
        else
        {
            Assert.NotEqual(DropReason.None, r);
        }
        if (Ipv6Header.TryParse(b, out Ipv6Header v6, out r))
        {
            _ = (v6.HopLimit, v6.Source, v6.Destination, v6.Protocol, v6.UpperLayerOffset, v6.UnfragmentableEnd,
                v6.Payload.Length, v6.Packet.Length);
            if (v6.IsFragment)
            {
                _ = (v6.FragmentOffset, v6.MoreFragments, v6.FragmentId);
            }
            ParseTransport(v6.Payload.ToArray(), v6.Source, v6.Destination);
        }
        else
        {
            Assert.NotEqual(DropReason.None, r);
        }
        ParseTransport(b, Packets.V4A, Packets.V4B);
        ParseTransport(b, Packets.V6A, Packets.V6B);
        TcpOptions.TryParse(b.AsSpan(0, Math.Min(b.Length, 40)), out _);
        Fragmenter.TryFragment(b, 576, 1, Ignore, out _, out _);
    }

    private static void ParseTransport(byte[] t, IpAddr s, IpAddr d)
    {
        if (TcpHeader.TryParse(t, s, d, out TcpHeader tcp, out _))
        {
            _ = (tcp.SourcePort, tcp.DestinationPort, tcp.SequenceNumber, tcp.AcknowledgmentNumber, tcp.Flags,
                tcp.Window, tcp.UrgentPointer, tcp.Payload.Length);
            TcpOptions.TryParse(tcp.OptionBytes, out _);
        }
        if (UdpHeader.TryParse(t, s, d, out UdpHeader udp, out _))
        {
            _ = (udp.SourcePort, udp.DestinationPort, udp.Payload.Length);
        }
        if (IcmpHeader.TryParse(t, s.IsV6, s, d, out IcmpHeader icmp, out _))
        {
            _ = (icmp.Type, icmp.Code, icmp.Identifier, icmp.SequenceNumber, icmp.V4NextHopMtu, icmp.V6Mtu, icmp.Body.Length);
        }
    }

    [Fact]
    public void RandomBytesNeverThrow() =>
        Gen.Byte.Array[0, 200].Sample(ParseEverything, iter: 20000);

    [Fact]
    public void RandomBytesWithPlausibleVersionNeverThrow() =>
        Gen.Select(Gen.Byte.Array[0, 300], Gen.OneOf((byte)0x45, (byte)0x46, (byte)0x60))
            .Sample((b, first) =>
            {
                if (b.Length > 0)
                {
                    b[0] = first;
                }
                if (b.Length > 6 && first == 0x60)
                {
                    // Point at extension headers often, and make the payload length plausible.
                    b[6] = (byte)(b[6] % 4) switch { 0 => 0, 1 => 43, 2 => 44, _ => 60 };
                    b[4] = 0;
                    b[5] = (byte)Math.Max(0, b.Length - 40);
                }
                ParseEverything(b);
            }, iter: 20000);

    [Fact]
    public void MutatedValidPacketsNeverThrow()
    {
        TcpOptions o = TcpOptions.Empty;
        o.Mss = 1460;
        o.HasTimestamps = true;
        o.AddSack(new SackBlock(1, 2));
        byte[][] seeds =
        [
            Packets.Tcp(Packets.V4A, Packets.V4B, 1, 2, 3, 4, TcpFlags.Ack, 5, o, [1, 2, 3]),
            Packets.Tcp(Packets.V6A, Packets.V6B, 1, 2, 3, 4, TcpFlags.Ack, 5, o, [1, 2, 3]),
            Packets.Udp(Packets.V4A, Packets.V4B, 1, 2, new byte[20]),
            Packets.Echo(Packets.V6A, Packets.V6B, true, 1, 2, [9]),
            Packets.V6WithExtensions(IpProtocol.Udp, new byte[16], (IpProtocol.HopByHop, 8), (IpProtocol.Ipv6Fragment, 8)),
        ];
        Gen.Select(Gen.Int[0, seeds.Length - 1], Gen.Int.Array[1, 6], Gen.Int[0, 400]).Sample((which, flips, cut) =>
        {
            byte[] p = (byte[])seeds[which].Clone();
            foreach (int f in flips)
            {
                int bit = (int)((uint)f % (uint)(p.Length * 8));
                p[bit / 8] ^= (byte)(1 << (bit % 8));
            }
            ParseEverything(p.AsSpan(0, Math.Min(cut, p.Length)).ToArray());
            ParseEverything(p);
        }, iter: 20000);
    }

    [Fact]
    public void ReassemblerNeverThrowsOnRandomInput()
    {
        var r = new FragmentReassembler(maxBytes: 64 * 1024, maxDatagrams: 8);
        long t = 0;
        Gen.Byte.Array[0, 200].Sample(b =>
        {
            if (b.Length > 0)
            {
                b[0] = (byte)((b[0] & 1) == 0 ? 0x45 : 0x60);
            }
            r.TryAdd(b, TimeSpan.FromMilliseconds(Interlocked.Increment(ref t)), out _, out _, out _);
            Assert.True(r.BytesInUse <= 64 * 1024);
            Assert.True(r.DatagramCount <= 8);
        }, iter: 20000, threads: 1);
    }
}
