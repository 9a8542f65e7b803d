using CsCheck;
using Smolmix.Tcp;

namespace Smolmix.Tests.TcpSegments;

/// <summary>CsCheck properties of the engine's building blocks against naive models.</summary>
public class PropertyTests
{
    // ------------------------------------------------------------------ Seq

    private static readonly Gen<uint> AnySeq = Gen.OneOf<uint>(Gen.UInt, Gen.UInt[0, 1000], Gen.UInt[uint.MaxValue - 1000, uint.MaxValue], Gen.UInt[0x7FFF_FC00, 0x8000_0400]);

    // Distances of exactly 2^31 are ambiguous in serial-number arithmetic (RFC 1982) and excluded.
    private static readonly Gen<int> Distance = Gen.OneOf<int>(Gen.Int[int.MinValue + 1, int.MaxValue], Gen.Int[-1000, 1000], Gen.Int[int.MaxValue - 1000, int.MaxValue], Gen.Int[int.MinValue + 1, int.MinValue + 1000]);

    [Fact]
    public void Seq_ComparisonsMatchSignedDistance()
    {
        Gen.Select(AnySeq, Distance).Sample((a, d) =>
        {
            uint b = unchecked(a + (uint)d);
            Assert.Equal(d > 0, Seq.Lt(a, b));
            Assert.Equal(d >= 0, Seq.Le(a, b));
            Assert.Equal(d < 0, Seq.Gt(a, b));
            Assert.Equal(d <= 0, Seq.Ge(a, b));
            Assert.Equal(Seq.Lt(a, b), Seq.Gt(b, a));
            Assert.Equal(Seq.Le(a, b), Seq.Ge(b, a));
            Assert.Equal(Seq.Lt(a, b), !Seq.Ge(a, b));
            Assert.Equal(d, Seq.Diff(a, b));
            Assert.Equal(-d, Seq.Diff(b, a));
            Assert.Equal(d >= 0 ? b : a, Seq.Max(a, b));
            Assert.Equal(d >= 0 ? a : b, Seq.Min(a, b));
            Assert.Equal(Seq.Max(a, b), Seq.Max(b, a));
            Assert.Equal(Seq.Min(a, b), Seq.Min(b, a));
        }, iter: 20_000);
    }

    [Fact]
    public void Seq_TransitiveWithinHalfSpace_InRange()
    {
        Gen.Select(AnySeq, Gen.Int[0, int.MaxValue / 2], Gen.Int[0, int.MaxValue / 2]).Sample((a, d1, d2) =>
        {
            uint b = unchecked(a + (uint)d1);
            uint c = unchecked(b + (uint)d2);
            Assert.True(Seq.Le(a, b) && Seq.Le(b, c) && Seq.Le(a, c));
            Assert.Equal(d1 + d2 > 0, Seq.Lt(a, c));
            // lo ≤ x < hi
            Assert.Equal(d2 > 0, Seq.InRange(b, a, c));
            Assert.Equal(d1 + d2 > 0, Seq.InRange(a, a, c));
            Assert.False(Seq.InRange(c, a, c));
        }, iter: 20_000);
    }

    // ------------------------------------------------------------------ ReceiveAssembler

    private static List<(int Start, int End)> Runs(SortedSet<long> held, long nxt)
    {
        var runs = new List<(int, int)>();
        long s = -1, e = -1;
        foreach (long p in held)
        {
            if (s >= 0 && p == e)
            {
                e++;
                continue;
            }
            if (s >= 0)
            {
                runs.Add(((int)(s - nxt), (int)(e - nxt)));
            }
            s = p;
            e = p + 1;
        }
        if (s >= 0)
        {
            runs.Add(((int)(s - nxt), (int)(e - nxt)));
        }
        return runs;
    }

    [Fact]
    public void ReceiveAssembler_MatchesBitmapModel()
    {
        // Op: kind 0–2 = add an out-of-order range [start, start + len) (start ≥ 1), kind 3 = len in-order bytes arrive.
        var op = Gen.Select(Gen.Int[0, 3], Gen.Int[1, 300], Gen.Int[1, 80]);
        op.Array[1, 80].Sample(ops =>
        {
            var ra = new ReceiveAssembler();
            var held = new SortedSet<long>();
            long nxt = 0;
            foreach (var (kind, a, len) in ops)
            {
                if (kind < 3)
                {
                    var merged = ra.Add(a, a + len);
                    for (long p = nxt + a; p < nxt + a + len; p++)
                    {
                        held.Add(p);
                    }
                    var run = Runs(held, nxt).Single(r => r.Start <= a && a + len <= r.End);
                    Assert.Equal(run, merged);
                }
                else
                {
                    int extra = ra.Advance(len);
                    long newNxt = nxt + len;
                    while (held.Contains(newNxt) || (held.Count > 0 && held.Min < newNxt))
                    {
                        if (held.Min < newNxt)
                        {
                            held.Remove(held.Min);
                            continue;
                        }
                        held.Remove(newNxt);
                        newNxt++;
                    }
                    Assert.Equal(newNxt - nxt - len, extra);
                    nxt = newNxt;
                }
                var runs = Runs(held, nxt);
                Assert.Equal(runs.Count, ra.RangeCount);
                for (int i = 0; i < runs.Count; i++)
                {
                    Assert.Equal(runs[i], ra[i]);
                    Assert.True(ra.Contains(runs[i].Start, runs[i].End));
                    Assert.False(ra.Contains(runs[i].Start, runs[i].End + 1));
                    Assert.False(ra.Contains(runs[i].Start - 1, runs[i].End));
                }
                Assert.Equal(held.Count, ra.Bytes);
                Assert.True(runs.Count == 0 || runs[0].Start > 0);
            }
        }, iter: 1_500);
    }

    // ------------------------------------------------------------------ ByteRing

    [Fact]
    public void ByteRing_MatchesListModel_AcrossGrowth()
    {
        // Op kinds: 0–1 append, 2 write at an offset (beyond or inside the readable part), 3 commit written
        // bytes, 4 consume, 5 read, 6 raise the cap.
        var op = Gen.Select(Gen.Int[0, 6], Gen.Int[0, 700], Gen.Int[0, 300], Gen.Byte);
        Gen.Select(Gen.Int[1, 64], Gen.Int[16, 1500], op.Array[1, 60]).Sample((initial, max, ops) =>
        {
            var ring = new ByteRing(initial, max);
            var readable = new List<byte>();
            var shadow = new Dictionary<long, byte>(); // written beyond the readable part, by absolute position
            long start = 0;
            foreach (var (kind, x, y, seed) in ops)
            {
                byte[] Data(int n)
                {
                    var d = new byte[n];
                    for (int i = 0; i < n; i++)
                    {
                        d[i] = (byte)(seed + i * 31);
                    }
                    return d;
                }
                switch (kind)
                {
                    case 0:
                    case 1:
                    {
                        var d = Data(y);
                        int expected = Math.Min(y, ring.MaxCapacity - readable.Count);
                        int n = ring.Append(d);
                        Assert.Equal(expected, n);
                        for (int i = 0; i < n; i++)
                        {
                            shadow.Remove(start + readable.Count + i);
                        }
                        readable.AddRange(d[..n]);
                        break;
                    }
                    case 2:
                    {
                        int len = Math.Min(y, ring.MaxCapacity);
                        int off = x % (ring.MaxCapacity - len + 1);
                        var d = Data(len);
                        ring.EnsureCapacity(off + len);
                        Assert.True(ring.Capacity >= off + len);
                        ring.WriteAt(off, d);
                        for (int i = 0; i < len; i++)
                        {
                            if (off + i < readable.Count)
                            {
                                readable[off + i] = d[i];
                            }
                            else
                            {
                                shadow[start + off + i] = d[i];
                            }
                        }
                        break;
                    }
                    case 3:
                    {
                        int run = 0;
                        while (shadow.ContainsKey(start + readable.Count + run))
                        {
                            run++;
                        }
                        int n = run == 0 ? 0 : 1 + x % run;
                        ring.Commit(n);
                        for (int i = 0; i < n; i++)
                        {
                            long p = start + readable.Count;
                            readable.Add(shadow[p]);
                            shadow.Remove(p);
                        }
                        break;
                    }
                    case 4:
                    {
                        int n = readable.Count == 0 ? 0 : x % (readable.Count + 1);
                        ring.Consume(n);
                        readable.RemoveRange(0, n);
                        start += n;
                        break;
                    }
                    case 5:
                    {
                        var dest = new byte[y];
                        int n = ring.Read(dest);
                        Assert.Equal(Math.Min(y, readable.Count), n);
                        Assert.Equal(readable.Take(n), dest[..n]);
                        readable.RemoveRange(0, n);
                        start += n;
                        break;
                    }
                    default:
                        ring.RaiseMaxCapacity(ring.MaxCapacity + x);
                        break;
                }
                Assert.Equal(readable.Count, ring.Count);
                Assert.True(ring.Capacity <= ring.MaxCapacity);
                var all = new byte[ring.Count];
                ring.CopyTo(0, all);
                Assert.Equal(readable, all);
                foreach (var (p, b) in shadow)
                {
                    long rel = p - start;
                    Assert.InRange(rel, readable.Count, ring.Capacity - 1);
                    var one = new byte[1];
                    ring.CopyTo((int)rel, one);
                    Assert.Equal(b, one[0]);
                }
            }
        }, iter: 1_500);
    }
}
