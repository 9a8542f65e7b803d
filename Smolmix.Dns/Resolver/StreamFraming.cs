using System.Buffers.Binary;
using Smolmix.Dns.Wire;

namespace Smolmix.Dns.Resolver;

/// <summary>DNS over a stream (TCP, TLS): each message preceded by its length in two bytes (RFC 1035 §4.2.2, RFC 7766).</summary>
internal static class StreamFraming
{
    public static async Task WriteAsync(Stream stream, byte[] message, CancellationToken cancellationToken)
    {
        var framed = new byte[message.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)message.Length);
        message.CopyTo(framed, 2);
        await stream.WriteAsync(framed, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads one message; null at a clean end of stream between messages.</summary>
    /// <exception cref="IOException">The stream ended inside a message.</exception>
    /// <exception cref="DnsFormatException">The message is malformed.</exception>
    public static async Task<DnsMessage?> ReadAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        if (!await ReadExactlyOrEndAsync(stream, buffer.AsMemory(0, 2), cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(buffer);
        if (!await ReadExactlyOrEndAsync(stream, buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false) && length > 0)
        {
            throw new IOException("The DNS server closed the connection inside a message.");
        }

        return DnsMessage.Parse(buffer.AsSpan(0, length));
    }

    private static async Task<bool> ReadExactlyOrEndAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n = await stream.ReadAsync(buffer[read..], cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                if (read == 0)
                {
                    return false;
                }

                throw new IOException("The DNS server closed the connection inside a message.");
            }

            read += n;
        }

        return true;
    }
}
