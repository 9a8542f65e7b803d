using System.Buffers.Binary;

namespace Smolmix.Dns.DnsClient;

/// <summary>
/// The few facts the relay needs from a query, read from its wire form without trusting it: the ID,
/// where the single question ends, the question's key, and the EDNS UDP payload size. Also builds the
/// two answers the relay makes itself (truncated, SERVFAIL) from the query's header and question.
/// </summary>
internal readonly struct QueryHeader
{
    private const int HeaderLength = 12;
    private const int OptType = 41;

    private QueryHeader(ushort id, int questionEnd, int udpPayloadSize)
    {
        Id = id;
        QuestionEnd = questionEnd;
        UdpPayloadSize = udpPayloadSize;
    }

    /// <summary>The query's ID.</summary>
    public ushort Id { get; }

    /// <summary>The offset just past the question (header and question are <c>[0, QuestionEnd)</c>).</summary>
    public int QuestionEnd { get; }

    /// <summary>The largest UDP response the sender accepts: its EDNS payload size, or 512 without EDNS.</summary>
    public int UdpPayloadSize { get; }

    /// <summary>
    /// Reads a query: a standard query (QR clear, opcode 0) with exactly one question, every name and
    /// record within the message. False for anything else.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> message, out QueryHeader header)
    {
        header = default;
        if (message.Length < HeaderLength)
        {
            return false;
        }

        byte flags = message[2];
        bool isResponse = (flags & 0x80) != 0;
        int opcode = (flags >> 3) & 0x0F;
        int questions = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        if (isResponse || opcode != 0 || questions != 1)
        {
            return false;
        }

        int offset = HeaderLength;
        if (!TrySkipName(message, ref offset, allowPointer: false) || offset + 4 > message.Length)
        {
            return false;
        }

        offset += 4;
        int questionEnd = offset;
        int records = BinaryPrimitives.ReadUInt16BigEndian(message[6..]) + BinaryPrimitives.ReadUInt16BigEndian(message[8..]) + BinaryPrimitives.ReadUInt16BigEndian(message[10..]);
        int payload = 512;
        for (int i = 0; i < records; i++)
        {
            if (!TrySkipName(message, ref offset, allowPointer: true) || offset + 10 > message.Length)
            {
                return false;
            }

            int type = BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
            int size = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 2)..]);
            int length = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 8)..]);
            offset += 10 + length;
            if (offset > message.Length)
            {
                return false;
            }

            if (type == OptType)
            {
                payload = Math.Max(512, size);
            }
        }

        header = new QueryHeader(BinaryPrimitives.ReadUInt16BigEndian(message), questionEnd, payload);
        return true;
    }

    /// <summary>The question as a key: the name in lower case, type and class (a name is only ASCII on the wire for this purpose).</summary>
    public string QuestionKey(ReadOnlySpan<byte> message)
    {
        ReadOnlySpan<byte> question = message[HeaderLength..QuestionEnd];
        return string.Create(question.Length, question.ToArray(), static (chars, bytes) =>
        {
            for (int i = 0; i < bytes.Length; i++)
            {
                byte b = bytes[i];
                chars[i] = (char)(b is >= (byte)'A' and <= (byte)'Z' ? b + 32 : b);
            }
        });
    }

    /// <summary>
    /// A response with no records: the query's ID, RD bit and question; QR and RA set; the given
    /// response code; TC as given.
    /// </summary>
    public byte[] EmptyResponse(ReadOnlySpan<byte> query, int responseCode, bool truncated)
    {
        byte[] r = query[..QuestionEnd].ToArray();
        r[2] = (byte)(0x80 | (r[2] & 0x01) | (truncated ? 0x02 : 0)); // QR, opcode 0, RD kept, TC
        r[3] = (byte)(0x80 | (responseCode & 0x0F)); // RA, response code
        r[6] = r[7] = r[8] = r[9] = r[10] = r[11] = 0;
        return r;
    }

    private static bool TrySkipName(ReadOnlySpan<byte> message, ref int offset, bool allowPointer)
    {
        for (int length = 0; offset < message.Length;)
        {
            byte label = message[offset];
            if (label == 0)
            {
                offset++;
                return true;
            }

            if ((label & 0xC0) == 0xC0)
            {
                if (!allowPointer || offset + 2 > message.Length)
                {
                    return false;
                }

                offset += 2;
                return true;
            }

            if ((label & 0xC0) != 0)
            {
                return false;
            }

            length += label + 1;
            offset += label + 1;
            if (length > 255)
            {
                return false;
            }
        }

        return false;
    }
}
