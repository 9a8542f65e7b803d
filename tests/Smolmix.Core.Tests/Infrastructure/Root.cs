using System.Runtime.InteropServices;

namespace Smolmix.Tests.Infrastructure;

/// <summary>Whether tests that need root (TUN devices, network namespaces) can run here.</summary>
internal static partial class Root
{
    /// <summary>Why root-only tests cannot run, or null when they can.</summary>
    public static readonly string? WhyNotRoot = Probe();

    /// <summary>True when running as root on Linux with <c>/dev/net/tun</c> and <c>ip</c> available.</summary>
    public static readonly bool IsRoot = WhyNotRoot is null;

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "not Linux";
        }

        if (GetEffectiveUserId() != 0)
        {
            return "not running as root";
        }

        if (!File.Exists("/dev/net/tun"))
        {
            return "/dev/net/tun is missing";
        }

        string[] path = (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':');
        if (!path.Append("/usr/sbin").Append("/sbin").Any(dir => File.Exists(Path.Combine(dir, "ip"))))
        {
            return "the 'ip' command (iproute2) is missing";
        }

        return null;
    }

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();
}
