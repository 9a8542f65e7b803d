using Microsoft.Extensions.Logging;
using Smolmix.Devices;

namespace Smolmix.Devnet.Egress;

/// <summary>
/// The exit's egress through the Linux kernel, like the real exit: a TUN device with the gateway
/// addresses 10.0.0.1/16 and fc00::1/112 inside a network namespace the Devnet creates. The kernel
/// routes client packets to whatever lives in that namespace, and routes answers for 10.0.0.0/16
/// and fc00::/112 back out of the TUN to the exit. Nothing reaches the host's own network.
/// </summary>
internal sealed class KernelEgress : IPacketDevice
{
    private readonly TunDevice _tun;
    private readonly NetworkNamespace _namespace;

    private KernelEgress(TunDevice tun, NetworkNamespace ns)
    {
        _tun = tun;
        _namespace = ns;
    }

    /// <inheritdoc />
    public int Mtu => _tun.Mtu;

    /// <summary>The namespace the TUN device and the reachable services live in.</summary>
    public NetworkNamespace Namespace => _namespace;

    /// <summary>Why kernel egress cannot run here, or null when it can.</summary>
    public static string? WhyUnavailable()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "kernel egress needs Linux";
        }

        if (!Environment.IsPrivilegedProcess)
        {
            return "kernel egress needs root (a TUN device and a network namespace)";
        }

        return File.Exists("/dev/net/tun") ? null : "kernel egress needs /dev/net/tun";
    }

    /// <summary>Creates the namespace and the TUN device and configures them.</summary>
    /// <exception cref="UnauthorizedAccessException">Not root.</exception>
    /// <exception cref="PlatformNotSupportedException">Not Linux, or no TUN support.</exception>
    public static KernelEgress Start(int mtu, ILogger logger)
    {
        if (WhyUnavailable() is { } why)
        {
            throw OperatingSystem.IsLinux() ? new UnauthorizedAccessException(why) : new PlatformNotSupportedException(why);
        }

        string suffix = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray(), 0, 4);
        NetworkNamespace ns = NetworkNamespace.Create($"smolmix-devnet-{suffix}");
        TunDevice? tun = null;
        try
        {
            tun = TunDevice.Create($"smxdev{suffix}", mtu);
            Devices.IpCommand.Run($"link set {tun.Name} netns {ns.Name}");
            ns.Exec($"addr add 10.0.0.1/16 dev {tun.Name}");
            ns.Exec($"-6 addr add fc00::1/112 dev {tun.Name} nodad");
            ns.Exec($"link set {tun.Name} mtu {mtu} up");
            logger.LogInformation("Kernel egress: TUN {Tun} in network namespace {Namespace}.", tun.Name, ns.Name);
            return new KernelEgress(tun, ns);
        }
        catch
        {
            if (tun is not null)
            {
                tun.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }

            ns.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public ValueTask WriteAsync(ReadOnlyMemory<byte> packet, CancellationToken cancellationToken = default) => _tun.WriteAsync(packet, cancellationToken);

    /// <inheritdoc />
    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _tun.ReadAsync(buffer, cancellationToken);

    /// <summary>Closes the TUN device and deletes the namespace.</summary>
    public async ValueTask DisposeAsync()
    {
        await _tun.DisposeAsync().ConfigureAwait(false);
        _namespace.Dispose();
    }
}
