using System.Net;
using Smolmix.Wire;

namespace Smolmix.Devnet.Exit;

/// <summary>
/// The exit's address allocation: a 16-bit n drawn from 2..=65534 gives <c>10.0.(n&gt;&gt;8).(n&amp;255)</c>
/// and <c>fc00::n</c>; it is redrawn while either address is taken or is the gateway's
/// (10.0.0.1 / fc00::1), and the allocation fails after 100 tries.
/// </summary>
internal sealed class AddressAllocator
{
    /// <summary>Tries before the exit answers NoAvailableIp.</summary>
    public const int MaxAttempts = 100;

    /// <summary>The gateway's IPv4 address, never handed out.</summary>
    public static readonly IpAddr GatewayV4 = IpAddr.Parse("10.0.0.1");

    /// <summary>The gateway's IPv6 address, never handed out.</summary>
    public static readonly IpAddr GatewayV6 = IpAddr.Parse("fc00::1");

    private readonly Func<int> _pick;

    /// <summary>Creates an allocator drawing from <paramref name="pick"/> (values outside 2..=65534 count as failed tries).</summary>
    public AddressAllocator(Func<int> pick) => _pick = pick;

    /// <summary>The pair of addresses for host number <paramref name="n"/>.</summary>
    public static (IpAddr V4, IpAddr V6) AddressesFor(int n)
    {
        var v4 = IpAddr.From(new IPAddress(new byte[] { 10, 0, (byte)(n >> 8), (byte)n }));
        var v6Bytes = new byte[16];
        v6Bytes[0] = 0xfc;
        v6Bytes[14] = (byte)(n >> 8);
        v6Bytes[15] = (byte)n;
        return (v4, IpAddr.FromV6(v6Bytes));
    }

    /// <summary>Allocates a free pair; false after <see cref="MaxAttempts"/> tries.</summary>
    public bool TryAllocate(Func<IpAddr, bool> inUse, out IpAddr v4, out IpAddr v6)
    {
        for (int attempt = 0; attempt < MaxAttempts; attempt++)
        {
            int n = _pick();
            if (n is < 2 or > 65534)
            {
                continue;
            }

            (v4, v6) = AddressesFor(n);
            if (v4 == GatewayV4 || v6 == GatewayV6 || inUse(v4) || inUse(v6))
            {
                continue;
            }

            return true;
        }

        v4 = default;
        v6 = default;
        return false;
    }
}
