using System.Diagnostics.CodeAnalysis;

namespace Smolmix.Nym;

/// <summary>
/// A Nym client address ("Recipient"): the client's ed25519 identity key, its x25519 encryption
/// key and the ed25519 identity key of its gateway. Written as
/// <c>base58(identity).base58(encryption)@base58(gateway)</c>; on the wire it is the three keys
/// concatenated (96 bytes).
/// </summary>
internal sealed class NymAddress : IEquatable<NymAddress>
{
    /// <summary>The length of each of the three keys, in bytes.</summary>
    internal const int KeyLength = 32;

    /// <summary>The length of the binary form, in bytes.</summary>
    internal const int BinaryLength = 3 * KeyLength;

    private readonly byte[] _bytes;

    private NymAddress(byte[] bytes) => _bytes = bytes;

    /// <summary>The base58 identity key of the address's gateway (for an exit, the node's identity).</summary>
    public string GatewayIdentity => Base58.Encode(GatewayKey);

    /// <summary>The base58 identity key of the client itself.</summary>
    public string ClientIdentity => Base58.Encode(IdentityKey);

    /// <summary>The 96-byte binary form.</summary>
    internal ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>The client's ed25519 identity key.</summary>
    internal ReadOnlySpan<byte> IdentityKey => _bytes.AsSpan(0, KeyLength);

    /// <summary>The client's x25519 encryption key.</summary>
    internal ReadOnlySpan<byte> EncryptionKey => _bytes.AsSpan(KeyLength, KeyLength);

    /// <summary>The gateway's ed25519 identity key.</summary>
    internal ReadOnlySpan<byte> GatewayKey => _bytes.AsSpan(2 * KeyLength, KeyLength);

    /// <summary>Parses the text form <c>IDENTITY.ENCRYPTION@GATEWAY</c>.</summary>
    /// <param name="text">The address text.</param>
    /// <returns>The parsed address.</returns>
    /// <exception cref="FormatException">The text is not a valid Nym address.</exception>
    public static NymAddress Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out NymAddress? address, out string? error)
            ? address
            : throw new FormatException($"Invalid Nym address: {error}");
    }

    /// <summary>Tries to parse the text form <c>IDENTITY.ENCRYPTION@GATEWAY</c>.</summary>
    /// <param name="text">The address text.</param>
    /// <param name="address">The parsed address, when the method returns true.</param>
    /// <returns>True when <paramref name="text"/> is a valid Nym address.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out NymAddress? address)
        => TryParse(text, out address, out _);

    /// <summary>Reads the 96-byte binary form, validating both ed25519 keys.</summary>
    /// <exception cref="NymProtocolException">The bytes are not a valid address.</exception>
    internal static NymAddress FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != BinaryLength)
        {
            throw new NymProtocolException($"A Nym address is {BinaryLength} bytes, got {bytes.Length}.");
        }

        // Validating a key decompresses its point (a modular exponentiation, about 0.2 ms); a
        // nym-client endpoint reads the same recipient in every message, so the addresses validated
        // last are looked up first.
        NymAddress?[] recent = RecentlyValidated;
        foreach (NymAddress? known in recent)
        {
            if (known is not null && bytes.SequenceEqual(known._bytes))
            {
                return known;
            }
        }

        if (!Ed25519PublicKey.IsValid(bytes.Slice(0, KeyLength)))
        {
            throw new NymProtocolException("The address's identity key is not a valid ed25519 point.");
        }

        if (!Ed25519PublicKey.IsValid(bytes.Slice(2 * KeyLength, KeyLength)))
        {
            throw new NymProtocolException("The address's gateway key is not a valid ed25519 point.");
        }

        var address = new NymAddress(bytes.ToArray());
        int slot = (int)((uint)Interlocked.Increment(ref s_nextRecent) % (uint)recent.Length);
        Volatile.Write(ref recent[slot], address);
        return address;
    }

    /// <summary>Addresses <see cref="FromBytes"/> validated last (a small ring; entries are immutable).</summary>
    private static readonly NymAddress?[] RecentlyValidated = new NymAddress?[8];

    private static int s_nextRecent = -1;

    /// <summary>Writes the 96-byte binary form.</summary>
    internal void CopyTo(Span<byte> destination) => _bytes.CopyTo(destination);

    /// <inheritdoc />
    public override string ToString()
        => $"{Base58.Encode(IdentityKey)}.{Base58.Encode(EncryptionKey)}@{Base58.Encode(GatewayKey)}";

    /// <inheritdoc />
    public bool Equals(NymAddress? other) => other is not null && _bytes.AsSpan().SequenceEqual(other._bytes);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as NymAddress);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = default(HashCode);
        hash.AddBytes(_bytes);
        return hash.ToHashCode();
    }

    /// <summary>Compares two addresses by value.</summary>
    public static bool operator ==(NymAddress? left, NymAddress? right) => left is null ? right is null : left.Equals(right);

    /// <summary>Compares two addresses by value.</summary>
    public static bool operator !=(NymAddress? left, NymAddress? right) => !(left == right);

    private static bool TryParse(string? text, [NotNullWhen(true)] out NymAddress? address, [NotNullWhen(false)] out string? error)
    {
        address = null;
        if (string.IsNullOrEmpty(text))
        {
            error = "empty";
            return false;
        }

        int at = text.IndexOf('@', StringComparison.Ordinal);
        if (at < 0 || text.IndexOf('@', at + 1) >= 0)
        {
            error = "expected exactly one '@'";
            return false;
        }

        ReadOnlySpan<char> client = text.AsSpan(0, at);
        int dot = client.IndexOf('.');
        if (dot < 0 || client.Slice(dot + 1).IndexOf('.') >= 0)
        {
            error = "expected exactly one '.' before '@'";
            return false;
        }

        var bytes = new byte[BinaryLength];
        if (!TryDecodeKey(client.Slice(0, dot), bytes.AsSpan(0, KeyLength))
            || !TryDecodeKey(client.Slice(dot + 1), bytes.AsSpan(KeyLength, KeyLength))
            || !TryDecodeKey(text.AsSpan(at + 1), bytes.AsSpan(2 * KeyLength, KeyLength)))
        {
            error = "each key must be 32 bytes of base58";
            return false;
        }

        if (!Ed25519PublicKey.IsValid(bytes.AsSpan(0, KeyLength)) || !Ed25519PublicKey.IsValid(bytes.AsSpan(2 * KeyLength, KeyLength)))
        {
            error = "an ed25519 key is not a valid curve point";
            return false;
        }

        address = new NymAddress(bytes);
        error = null;
        return true;
    }

    private static bool TryDecodeKey(ReadOnlySpan<char> text, Span<byte> destination)
    {
        if (!Base58.TryDecodeExact(text, KeyLength, out byte[] key))
        {
            return false;
        }

        key.CopyTo(destination);
        return true;
    }
}
