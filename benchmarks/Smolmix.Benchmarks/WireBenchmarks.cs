using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using Smolmix.Benchmarks.Infrastructure;
using Smolmix.Wire;

namespace Smolmix.Benchmarks;

/// <summary>
/// Per-packet wire costs for a full-size 1420-byte IPv4/TCP packet whose header carries timestamps
/// and three SACK blocks (60-byte TCP header, 1340-byte payload). One operation is one packet.
/// </summary>
[Config(typeof(ThroughputConfig))]
public class WireBenchmarks
{
    private const int PacketLength = 1420;
    private const int TcpHeaderLength = 60;
    private const int PayloadLength = PacketLength - Ipv4Header.MinLength - TcpHeaderLength;

    private static readonly IpAddr Src = IpAddr.Parse("10.0.0.2");
    private static readonly IpAddr Dst = IpAddr.Parse("10.0.0.1");

    private readonly byte[] _packet = new byte[PacketLength];
    private readonly byte[] _tx = new byte[PacketLength];
    private readonly byte[] _payload = new byte[PayloadLength];
    private readonly byte[] _checksumData = new byte[1400];
    private TcpOptions _options;
    private uint _seq = 1_000_000;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(7);
        rng.NextBytes(_payload);
        rng.NextBytes(_checksumData);
        _options = TcpOptions.Empty;
        _options.HasTimestamps = true;
        _options.TsVal = 123_456_789;
        _options.TsEcr = 987_654_321;
        _options.AddSack(new SackBlock(2_000_000, 2_010_000));
        _options.AddSack(new SackBlock(2_020_000, 2_030_000));
        _options.AddSack(new SackBlock(2_040_000, 2_050_000));
        if (Emit() != PacketLength)
        {
            throw new InvalidOperationException("Unexpected packet length; options did not encode to 40 bytes.");
        }
        _tx.CopyTo(_packet, 0);
        if (Parse() == 0)
        {
            throw new InvalidOperationException("The emitted packet does not parse.");
        }
        for (int len = 0; len <= _checksumData.Length; len++)
        {
            var d = _checksumData.AsSpan(0, len);
            if (VectorChecksum(d) != InternetChecksum.Compute(d))
            {
                throw new InvalidOperationException($"Reference checksum disagrees with InternetChecksum at length {len}.");
            }
        }
        if (VectorChecksum(_checksumData) != InternetChecksum.Compute(_checksumData))
        {
            throw new InvalidOperationException("Reference checksum disagrees with InternetChecksum.");
        }
    }

    /// <summary>IPv4 parse (header checksum), TCP parse (pseudo-header + full checksum), options parse.</summary>
    [Benchmark]
    [BytesPerOperation(PacketLength)]
    [OperationName("packets")]
    public int Parse()
    {
        if (!Ipv4Header.TryParse(_packet, out var ip, out _))
        {
            return 0;
        }
        IpAddr src = ip.Source, dst = ip.Destination;
        if (!TcpHeader.TryParse(ip.Payload, src, dst, out var tcp, out _))
        {
            return 0;
        }
        if (!TcpOptions.TryParse(tcp.OptionBytes, out var o))
        {
            return 0;
        }
        return tcp.Payload.Length + o.SackCount + (int)(o.TsVal ^ tcp.SequenceNumber ^ tcp.AcknowledgmentNumber);
    }

    /// <summary>TCP header + options + checksum over the payload already in place, then the IPv4 header.</summary>
    [Benchmark]
    [BytesPerOperation(PacketLength)]
    [OperationName("packets")]
    public int Emit()
    {
        Span<byte> p = _tx;
        _seq += PayloadLength;
        int hl = TcpHeader.Write(p[Ipv4Header.MinLength..], 40000, 80, _seq, 555, TcpFlags.Ack, 4096, _options, PayloadLength, Src, Dst);
        return Ipv4Header.Write(p, Src, Dst, IpProtocol.Tcp, hl + PayloadLength, (ushort)_seq) + hl + PayloadLength;
    }

    /// <summary>As <see cref="Emit"/>, plus copying the payload in (what a send from a buffer costs).</summary>
    [Benchmark]
    [BytesPerOperation(PacketLength)]
    [OperationName("packets")]
    public int EmitWithPayloadCopy()
    {
        _payload.CopyTo(_tx.AsSpan(Ipv4Header.MinLength + TcpHeaderLength));
        return Emit();
    }

    /// <summary>The library's Internet checksum over 1400 bytes.</summary>
    [Benchmark(Baseline = true)]
    [BytesPerOperation(1400)]
    [OperationName("checksums")]
    public ushort Checksum1400() => InternetChecksum.Compute(_checksumData);

    /// <summary>
    /// Reference only (not library code): a SIMD ones'-complement sum (native-order 16-bit words widened
    /// into 32-bit lanes, byte-swapped once at the end, RFC 1071 §2(B)). Shows the checksum's headroom.
    /// </summary>
    [Benchmark]
    [BytesPerOperation(1400)]
    [OperationName("checksums")]
    public ushort Checksum1400VectorReference() => VectorChecksum(_checksumData);

    private static ushort VectorChecksum(ReadOnlySpan<byte> data)
    {
        // Native-order 16-bit words, widened and summed in 32-bit lanes (no overflow below 64 KiB).
        var acc = Vector<uint>.Zero;
        var words = MemoryMarshal.Cast<byte, ushort>(data);
        int i = 0;
        for (; i + Vector<ushort>.Count <= words.Length; i += Vector<ushort>.Count)
        {
            Vector.Widen(new Vector<ushort>(words[i..]), out var lo, out var hi);
            acc += lo + hi;
        }
        ulong sum = 0;
        for (int k = 0; k < Vector<uint>.Count; k++)
        {
            sum += acc[k];
        }
        for (; i < words.Length; i++)
        {
            sum += words[i];
        }
        if ((data.Length & 1) != 0)
        {
            sum += BitConverter.IsLittleEndian ? data[^1] : (ulong)data[^1] << 8;
        }
        while ((sum >> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        ushort folded = (ushort)sum;
        if (BitConverter.IsLittleEndian)
        {
            folded = BinaryPrimitives.ReverseEndianness(folded);
        }
        return (ushort)~folded;
    }
}
