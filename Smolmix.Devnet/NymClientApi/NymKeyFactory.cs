using Smolmix.Nym;

namespace Smolmix.Devnet.NymClientApi;

/// <summary>
/// Makes Devnet identities: Nym addresses whose ed25519 keys are valid curve points (so every
/// parser accepts them) and sender tags, all from one seeded <see cref="Random"/>.
/// </summary>
internal sealed class NymKeyFactory
{
    private readonly Random _random;
    private readonly Lock _gate = new();

    public NymKeyFactory(Random random) => _random = random;

    /// <summary>32 random bytes that decompress to an Edwards25519 point (about half of all values do).</summary>
    public byte[] NewEd25519PublicKey()
    {
        var key = new byte[NymAddress.KeyLength];
        lock (_gate)
        {
            for (int attempt = 0; attempt < 1000; attempt++)
            {
                _random.NextBytes(key);
                if (Ed25519PublicKey.IsValid(key))
                {
                    return key;
                }
            }
        }

        throw new InvalidOperationException("Could not draw a valid ed25519 key.");
    }

    /// <summary>A fresh client address behind <paramref name="gatewayKey"/>.</summary>
    public NymAddress NewAddress(ReadOnlySpan<byte> gatewayKey)
    {
        var bytes = new byte[NymAddress.BinaryLength];
        NewEd25519PublicKey().CopyTo(bytes, 0);
        lock (_gate)
        {
            _random.NextBytes(bytes.AsSpan(NymAddress.KeyLength, NymAddress.KeyLength));
        }

        gatewayKey.CopyTo(bytes.AsSpan(2 * NymAddress.KeyLength));
        return NymAddress.FromBytes(bytes);
    }

    /// <summary>A fresh random sender tag.</summary>
    public SenderTag NewSenderTag()
    {
        Span<byte> bytes = stackalloc byte[SenderTag.Length];
        lock (_gate)
        {
            _random.NextBytes(bytes);
        }

        return SenderTag.FromBytes(bytes);
    }
}
