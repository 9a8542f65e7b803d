using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Smolmix.Wire;

/// <summary>An IPv4 or IPv6 address as a value type: cheap to hash and compare, no allocation.</summary>
internal readonly struct IpAddr : IEquatable<IpAddr>
{
    private readonly ulong _hi;
    private readonly ulong _lo;

    private IpAddr(ulong hi, ulong lo, bool isV6)
    {
        _hi = hi;
        _lo = lo;
        IsV6 = isV6;
    }

    /// <summary>True for IPv6, false for IPv4.</summary>
    public bool IsV6 { get; }

    /// <summary>Address length in bytes (4 or 16).</summary>
    public int Length => IsV6 ? 16 : 4;

    /// <summary>The IPv4 address as a big-endian-valued integer (IPv4 only).</summary>
    public uint V4Value => (uint)_lo;

    /// <summary>The IPv4 unspecified address 0.0.0.0.</summary>
    public static IpAddr AnyV4 => new(0, 0, false);

    /// <summary>The IPv6 unspecified address ::.</summary>
    public static IpAddr AnyV6 => new(0, 0, true);

    /// <summary>True for 0.0.0.0 or ::.</summary>
    public bool IsUnspecified => _hi == 0 && _lo == 0;

    /// <summary>True for IPv4 multicast/broadcast or IPv6 multicast.</summary>
    public bool IsMulticastOrBroadcast =>
        IsV6 ? (_hi >> 56) == 0xFF : ((uint)_lo >> 28) == 0xE || (uint)_lo == 0xFFFFFFFF;

    /// <summary>Reads an IPv4 address from 4 bytes.</summary>
    public static IpAddr FromV4(ReadOnlySpan<byte> b) => new(0, BinaryPrimitives.ReadUInt32BigEndian(b), false);

    /// <summary>Builds an IPv4 address from its integer value.</summary>
    public static IpAddr FromV4(uint value) => new(0, value, false);

    /// <summary>Reads an IPv6 address from 16 bytes.</summary>
    public static IpAddr FromV6(ReadOnlySpan<byte> b) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(b), BinaryPrimitives.ReadUInt64BigEndian(b[8..]), true);

    /// <summary>Converts from <see cref="IPAddress"/>. IPv4-mapped IPv6 addresses become IPv4.</summary>
    public static IpAddr From(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out int n);
        return address.AddressFamily == AddressFamily.InterNetwork ? FromV4(b) : FromV6(b);
    }

    /// <summary>Parses a textual address.</summary>
    public static IpAddr Parse(string text) => From(IPAddress.Parse(text));

    /// <summary>Writes the 4 or 16 address bytes; returns the count.</summary>
    public int WriteTo(Span<byte> destination)
    {
        if (IsV6)
        {
            BinaryPrimitives.WriteUInt64BigEndian(destination, _hi);
            BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _lo);
            return 16;
        }
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)_lo);
        return 4;
    }

    /// <summary>Converts to <see cref="IPAddress"/> (allocates).</summary>
    public IPAddress ToIPAddress()
    {
        Span<byte> b = stackalloc byte[16];
        int n = WriteTo(b);
        return new IPAddress(b[..n]);
    }

    /// <inheritdoc/>
    public bool Equals(IpAddr other) => _hi == other._hi && _lo == other._lo && IsV6 == other.IsV6;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is IpAddr a && Equals(a);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_hi, _lo, IsV6);

    /// <inheritdoc/>
    public override string ToString() => ToIPAddress().ToString();

    /// <summary>Equality.</summary>
    public static bool operator ==(IpAddr a, IpAddr b) => a.Equals(b);

    /// <summary>Inequality.</summary>
    public static bool operator !=(IpAddr a, IpAddr b) => !a.Equals(b);
}
