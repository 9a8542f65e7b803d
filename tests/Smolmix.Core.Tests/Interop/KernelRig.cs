using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Smolmix.Devices;
using Smolmix.Tests.Infrastructure;

namespace Smolmix.Tests.Interop;

/// <summary>
/// Our stack on a TUN whose interface lives in a throwaway network namespace, facing the Linux
/// kernel's TCP/IP there. The kernel side is 10.78.0.1/24 and fd00:78::1/64 on the TUN; our stack
/// is 10.78.0.2 and fd00:78::2. Optionally the packets cross an <see cref="ImpairmentDevice"/> and
/// are recorded (as the kernel sees them) by a <see cref="PcapTapDevice"/>:
/// stack ⇄ impairment ⇄ pcap tap ⇄ TUN ⇄ kernel. Nothing leaves the namespace.
/// </summary>
internal sealed class KernelRig : IAsyncDisposable
{
    public const int Mtu = 1420;
    public static readonly IPAddress KernelV4 = IPAddress.Parse("10.78.0.1");
    public static readonly IPAddress StackV4 = IPAddress.Parse("10.78.0.2");
    public static readonly IPAddress KernelV6 = IPAddress.Parse("fd00:78::1");
    public static readonly IPAddress StackV6 = IPAddress.Parse("fd00:78::2");

    /// <summary>An address of the namespace's subnet that nobody answers: the kernel does not forward, so drops it silently.</summary>
    public static readonly IPAddress SilentV4 = IPAddress.Parse("10.78.0.99");

    private KernelRig(NetworkNamespace ns, string tunName, IPacketDevice device, ImpairmentDevice? impairment, PcapWriter? pcap, PcapWriter? stackPcap, NetStack stack)
    {
        StackPcap = stackPcap;
        Ns = ns;
        TunName = tunName;
        Device = device;
        Impairment = impairment;
        Pcap = pcap;
        Stack = stack;
    }

    public NetworkNamespace Ns { get; }
    public string TunName { get; }
    public IPacketDevice Device { get; }
    public ImpairmentDevice? Impairment { get; }
    public PcapWriter? Pcap { get; }
    public PcapWriter? StackPcap { get; }
    public NetStack Stack { get; }

    /// <summary>Why interop tests cannot run here, or null.</summary>
    public static string? WhyNot => Root.WhyNotRoot;

    /// <summary>
    /// Builds the rig. <paramref name="toKernel"/> impairs what our stack sends, <paramref name="fromKernel"/> what it receives;
    /// <paramref name="pcapPath"/> records at the TUN (the kernel's view), <paramref name="stackPcapPath"/> between our stack and the impairment (ours).
    /// </summary>
    public static KernelRig Create(ImpairmentOptions? toKernel = null, ImpairmentOptions? fromKernel = null, string? pcapPath = null, StackOptions? options = null,
        string? stackPcapPath = null)
    {
        var ns = NetNamespace.Create("smxio");
        TunDevice? tun = null;
        IPacketDevice? device = null;
        PcapWriter? pcap = null;
        PcapWriter? stackPcap = null;
        try
        {
            string name = $"smx{Convert.ToHexStringLower(Guid.NewGuid().ToByteArray(), 0, 4)}";
            tun = TunDevice.Create(name, Mtu);
            IpCommand.Run($"link set {name} netns {ns.Name}");
            ns.Exec($"link set {name} mtu {Mtu}");
            ns.Exec($"addr add 10.78.0.1/24 dev {name}");
            ns.Exec($"addr add fd00:78::1/64 dev {name} nodad");
            ns.Exec($"link set {name} up");
            device = tun;
            if (pcapPath is not null)
            {
                pcap = new PcapWriter(pcapPath);
                device = new PcapTapDevice(device, pcap, leaveWriterOpen: true);
            }

            ImpairmentDevice? impairment = null;
            if (toKernel is not null || fromKernel is not null)
            {
                impairment = new ImpairmentDevice(device, toKernel, fromKernel);
                device = impairment;
            }

            if (stackPcapPath is not null)
            {
                stackPcap = new PcapWriter(stackPcapPath);
                device = new PcapTapDevice(device, stackPcap, leaveWriterOpen: true);
            }

            var o = (options ?? new StackOptions()).Clone();
            var stack = NetStack.Start(device, StackV4, StackV6, o);
            var rig = new KernelRig(ns, name, device, impairment, pcap, stackPcap, stack);
            rig.WaitForV6Route();
            return rig;
        }
        catch
        {
            if (device is not null)
            {
                device.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(10));
            }
            else
            {
                tun?.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(10));
            }

            pcap?.Dispose();
            stackPcap?.Dispose();
            ns.Dispose();
            throw;
        }
    }

    /// <summary>Waits (bounded) until the kernel's IPv6 address is usable, so a v6 socket can bind it.</summary>
    private void WaitForV6Route()
    {
        for (int i = 0; i < 50; i++)
        {
            string a = Ns.Exec($"-6 addr show dev {TunName}");
            if (a.Contains("fd00:78::1", StringComparison.Ordinal) && !a.Contains("tentative", StringComparison.Ordinal))
            {
                return;
            }

            Thread.Sleep(20);
        }
    }

    /// <summary>Creates a kernel socket inside the namespace.</summary>
    public Socket KernelSocket(AddressFamily family, SocketType type, ProtocolType protocol) =>
        Ns.Run(() => new Socket(family, type, protocol));

    /// <summary>A kernel TCP listener on the kernel's address in the namespace, on an ephemeral port.</summary>
    public Socket KernelListener(AddressFamily family)
    {
        var s = KernelSocket(family, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(family == AddressFamily.InterNetworkV6 ? KernelV6 : KernelV4, 0));
        s.Listen(16);
        return s;
    }

    /// <summary>Runs <c>ip netns exec ns <paramref name="file"/> <paramref name="args"/></c>.</summary>
    public (int ExitCode, string Output) NsExec(string file, string args, TimeSpan timeout)
    {
        var (code, stdout, stderr) = Tools.Run("ip", $"netns exec {Ns.Name} {file} {args}", timeout);
        return (code, stdout + stderr);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Stack.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(15));
        }
        finally
        {
            try
            {
                await Device.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(15));
            }
            finally
            {
                Pcap?.Dispose();
                StackPcap?.Dispose();
                Ns.Dispose();
            }
        }
    }
}

/// <summary>Runs external tools with a timeout.</summary>
internal static class Tools
{
    public static bool Exists(string file)
    {
        string[] path = (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':');
        return path.Append("/usr/sbin").Append("/sbin").Append("/usr/bin").Any(dir => File.Exists(Path.Combine(dir, file)));
    }

    public static (int ExitCode, string StdOut, string StdErr) Run(string file, string args, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(file, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var p = Process.Start(psi) ?? throw new IOException($"cannot start {file}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            try
            {
                p.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }

            throw new TimeoutException($"'{file} {args}' did not finish within {timeout}.");
        }

        Task.WaitAll([stdout, stderr], TimeSpan.FromSeconds(10));
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
