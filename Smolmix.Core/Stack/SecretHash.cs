using System.Buffers.Binary;
using System.Security.Cryptography;
using Smolmix.Wire;

namespace Smolmix.Stack;

/// <summary>Keyed hashes of connection tuples: ISNs (RFC 6528), ephemeral ports (RFC 6056) and SYN cookies (RFC 4987 §3.6).</summary>
internal sealed class SecretHash
{
    private readonly byte[] _key = new byte[32];

    public SecretHash(Random? seeded)
    {
        if (seeded is null)
        {
            RandomNumberGenerator.Fill(_key);
        }
        else
        {
            seeded.NextBytes(_key);
        }
    }

    /// <summary>32-bit keyed hash of (local, localPort, remote, remotePort, domain).</summary>
    public uint Hash(in IpAddr local, ushort localPort, in IpAddr remote, ushort remotePort, byte domain)
        => Hash(local, localPort, remote, remotePort, domain, null);

    /// <summary>32-bit keyed hash of (local, localPort, remote, remotePort, domain, extra): a value per tuple and counter (SYN cookies).</summary>
    public uint Hash(in IpAddr local, ushort localPort, in IpAddr remote, ushort remotePort, byte domain, uint? extra)
    {
        // Without an extra value the input is the original 37 bytes, so ISNs and ports stay what they were.
        Span<byte> input = stackalloc byte[16 + 16 + 2 + 2 + 1 + 4];
        input.Clear();
        local.WriteTo(input);
        remote.WriteTo(input[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(input[32..], localPort);
        BinaryPrimitives.WriteUInt16BigEndian(input[34..], remotePort);
        input[36] = domain;
        if (extra is uint e)
        {
            BinaryPrimitives.WriteUInt32BigEndian(input[37..], e);
        }
        else
        {
            input = input[..37];
        }
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_key, input, mac);
        return BinaryPrimitives.ReadUInt32BigEndian(mac);
    }
}
