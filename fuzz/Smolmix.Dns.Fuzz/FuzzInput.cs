namespace Smolmix.Dns.Fuzz;

/// <summary>Reads one fuzz input, bounded: a DNS message is at most 65,535 bytes, one more shows Parse rejects longer ones.</summary>
internal static class FuzzInput
{
    public const int MaxLength = 65536;

    public static byte[] ReadAtMost(Stream stream, int maxLength)
    {
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[4096];
        int n;
        while (buffer.Length < maxLength && (n = stream.Read(chunk, 0, (int)Math.Min(chunk.Length, maxLength - buffer.Length))) > 0)
        {
            buffer.Write(chunk, 0, n);
        }

        return buffer.ToArray();
    }
}
