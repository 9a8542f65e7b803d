using System.Buffers.Binary;

namespace Smolmix.Wire;

/// <summary>
/// The TCP options the stack understands (RFC 9293 MSS, RFC 7323 window scale and timestamps,
/// RFC 2018 SACK-permitted and SACK). Unknown options are skipped.
/// </summary>
internal struct TcpOptions
{
    /// <summary>Most SACK blocks an option can carry (4 without timestamps, 3 with).</summary>
    public const int MaxSackBlocks = 4;

    /// <summary>Largest options area a TCP header can carry (data offset 15 × 4 − 20).</summary>
    public const int MaxLength = 40;

    private SackBlock _s0, _s1, _s2, _s3;

    /// <summary>MSS option value, 0 when absent.</summary>
    public ushort Mss;

    /// <summary>Window scale shift, -1 when absent.</summary>
    public sbyte WindowScale;

    /// <summary>SACK-permitted present.</summary>
    public bool SackPermitted;

    /// <summary>Timestamps present.</summary>
    public bool HasTimestamps;

    /// <summary>TSval.</summary>
    public uint TsVal;

    /// <summary>TSecr.</summary>
    public uint TsEcr;

    /// <summary>Number of SACK blocks.</summary>
    public int SackCount;

    /// <summary>Options with nothing set.</summary>
    public static TcpOptions Empty => new() { WindowScale = -1 };

    /// <summary>Gets SACK block <paramref name="i"/>.</summary>
    public readonly SackBlock GetSack(int i) => i switch { 0 => _s0, 1 => _s1, 2 => _s2, 3 => _s3, _ => throw new ArgumentOutOfRangeException(nameof(i)) };

    /// <summary>Appends a SACK block (ignored past <see cref="MaxSackBlocks"/>).</summary>
    public void AddSack(SackBlock block)
    {
        switch (SackCount)
        {
            case 0: _s0 = block; break;
            case 1: _s1 = block; break;
            case 2: _s2 = block; break;
            case 3: _s3 = block; break;
            default: return;
        }
        SackCount++;
    }

    /// <summary>Parses the options area of a TCP header.</summary>
    public static bool TryParse(ReadOnlySpan<byte> options, out TcpOptions result)
    {
        result = Empty;
        int i = 0;
        while (i < options.Length)
        {
            byte kind = options[i];
            if (kind == 0)
            {
                break; // End of option list.
            }
            if (kind == 1)
            {
                i++;
                continue; // NOP.
            }
            if (i + 1 >= options.Length)
            {
                return false;
            }
            int len = options[i + 1];
            if (len < 2 || i + len > options.Length)
            {
                return false;
            }
            ReadOnlySpan<byte> body = options.Slice(i + 2, len - 2);
            switch (kind)
            {
                case 2:
                    if (len != 4) { return false; }
                    result.Mss = BinaryPrimitives.ReadUInt16BigEndian(body);
                    break;
                case 3:
                    if (len != 3) { return false; }
                    result.WindowScale = (sbyte)Math.Min(body[0], (byte)14); // RFC 7323 §2.3: clamp to 14.
                    break;
                case 4:
                    if (len != 2) { return false; }
                    result.SackPermitted = true;
                    break;
                case 5:
                    if ((len - 2) % 8 != 0 || len < 10) { return false; }
                    for (int b = 0; b + 8 <= body.Length; b += 8)
                    {
                        result.AddSack(new SackBlock(BinaryPrimitives.ReadUInt32BigEndian(body[b..]), BinaryPrimitives.ReadUInt32BigEndian(body[(b + 4)..])));
                    }
                    break;
                case 8:
                    if (len != 10) { return false; }
                    result.HasTimestamps = true;
                    result.TsVal = BinaryPrimitives.ReadUInt32BigEndian(body);
                    result.TsEcr = BinaryPrimitives.ReadUInt32BigEndian(body[4..]);
                    break;
                default:
                    break; // Unknown option: skip.
            }
            i += len;
        }
        return true;
    }

    /// <summary>
    /// Encoded length including padding to a multiple of 4. Never more than <see cref="MaxLength"/>: SACK
    /// blocks that do not fit after the other options are left out (see <see cref="EncodedSackCount"/>).
    /// </summary>
    public readonly int EncodedLength
    {
        get
        {
            int n = NonSackLength;
            int blocks = EncodedSackCount;
            if (blocks > 0) { n += 4 + 8 * blocks; }
            return (n + 3) & ~3;
        }
    }

    /// <summary>
    /// How many SACK blocks <see cref="WriteTo"/> emits: <see cref="SackCount"/>, cut to what fits in
    /// <see cref="MaxLength"/> after the other options (3 with timestamps, 4 without).
    /// </summary>
    public readonly int EncodedSackCount => SackCount <= 0 ? 0 : Math.Min(SackCount, Math.Max(0, MaxLength - NonSackLength - 4) / 8);

    /// <summary>Encoded length of every option but SACK blocks (always a multiple of 4).</summary>
    private readonly int NonSackLength
    {
        get
        {
            int n = 0;
            if (Mss != 0) { n += 4; }
            if (SackPermitted && HasTimestamps) { n += 12; } // SACK-perm + TS packed as Linux does.
            else
            {
                if (SackPermitted) { n += 4; }
                if (HasTimestamps) { n += 12; }
            }
            if (WindowScale >= 0) { n += 4; }
            return n;
        }
    }

    /// <summary>
    /// Writes the options in Linux's order (MSS, SACK-permitted, timestamps, NOP, window scale;
    /// SACK blocks after NOP NOP), padded with NOPs/EOL to a multiple of 4, never more than
    /// <see cref="MaxLength"/> bytes. Returns bytes written (<see cref="EncodedLength"/>).
    /// </summary>
    public readonly int WriteTo(Span<byte> d)
    {
        int i = 0;
        if (Mss != 0)
        {
            d[i] = 2; d[i + 1] = 4;
            BinaryPrimitives.WriteUInt16BigEndian(d[(i + 2)..], Mss);
            i += 4;
        }
        if (SackPermitted && HasTimestamps)
        {
            d[i] = 4; d[i + 1] = 2; d[i + 2] = 8; d[i + 3] = 10;
            BinaryPrimitives.WriteUInt32BigEndian(d[(i + 4)..], TsVal);
            BinaryPrimitives.WriteUInt32BigEndian(d[(i + 8)..], TsEcr);
            i += 12;
        }
        else
        {
            if (SackPermitted)
            {
                d[i] = 1; d[i + 1] = 1; d[i + 2] = 4; d[i + 3] = 2;
                i += 4;
            }
            if (HasTimestamps)
            {
                d[i] = 1; d[i + 1] = 1; d[i + 2] = 8; d[i + 3] = 10;
                BinaryPrimitives.WriteUInt32BigEndian(d[(i + 4)..], TsVal);
                BinaryPrimitives.WriteUInt32BigEndian(d[(i + 8)..], TsEcr);
                i += 12;
            }
        }
        if (WindowScale >= 0)
        {
            d[i] = 1; d[i + 1] = 3; d[i + 2] = 3; d[i + 3] = (byte)WindowScale;
            i += 4;
        }
        int blocks = EncodedSackCount;
        if (blocks > 0)
        {
            d[i] = 1; d[i + 1] = 1; d[i + 2] = 5; d[i + 3] = (byte)(2 + 8 * blocks);
            i += 4;
            for (int b = 0; b < blocks; b++)
            {
                SackBlock s = GetSack(b);
                BinaryPrimitives.WriteUInt32BigEndian(d[i..], s.Left);
                BinaryPrimitives.WriteUInt32BigEndian(d[(i + 4)..], s.Right);
                i += 8;
            }
        }
        while ((i & 3) != 0)
        {
            d[i++] = 0;
        }
        return i;
    }
}
