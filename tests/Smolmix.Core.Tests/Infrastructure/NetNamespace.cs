using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using Smolmix.Devices;

namespace Smolmix.Tests.Infrastructure;

/// <summary>
/// A throwaway Linux network namespace (<c>ip netns add</c>), deleted on dispose. Code run with
/// <see cref="Run{T}"/> executes on a fresh OS thread that has entered the namespace, so sockets
/// it creates belong to the namespace and keep working from any thread afterwards. Needs root.
/// </summary>
internal sealed partial class NetNamespace : IDisposable
{
    private const int CLONE_NEWNET = 0x40000000;
    private const int O_RDONLY = 0;
    private const int O_CLOEXEC = 0x80000;
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(30);

    private readonly int _fd;
    private bool _disposed;

    private NetNamespace(string name, int fd)
    {
        Name = name;
        _fd = fd;
    }

    /// <summary>The namespace's name, as <c>ip netns</c> knows it.</summary>
    public string Name { get; }

    /// <summary>Creates a namespace named <paramref name="prefix"/> plus a random suffix, with loopback up.</summary>
    public static NetNamespace Create(string prefix)
    {
        string name = $"{prefix}-{Convert.ToHexStringLower(Guid.NewGuid().ToByteArray(), 0, 4)}";
        IpCommand.Run($"netns add {name}");
        int fd = Open($"/var/run/netns/{name}", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            TryDelete(name);
            throw new IOException($"Cannot open /var/run/netns/{name}: {Marshal.GetPInvokeErrorMessage(errno)}");
        }

        var ns = new NetNamespace(name, fd);
        try
        {
            ns.Exec("link set lo up");
        }
        catch
        {
            ns.Dispose();
            throw;
        }

        return ns;
    }

    /// <summary>Runs <paramref name="action"/> on a new OS thread inside the namespace and returns its result.</summary>
    /// <exception cref="TimeoutException">The action took longer than 30 seconds.</exception>
    public T Run<T>(Func<T> action)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                if (SetNs(_fd, CLONE_NEWNET) != 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    throw new IOException($"setns into {Name} failed: {Marshal.GetPInvokeErrorMessage(errno)}");
                }

                result = action();
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        })
        {
            IsBackground = true,
            Name = $"netns-{Name}",
        };

        // The thread ends after the action, so no pool thread is ever left inside the namespace.
        thread.Start();
        if (!thread.Join(RunTimeout))
        {
            throw new TimeoutException($"Code in namespace {Name} did not finish within {RunTimeout}.");
        }

        failure?.Throw();
        return result;
    }

    /// <summary>Runs <c>ip -n &lt;name&gt; <paramref name="ipArgs"/></c>.</summary>
    public string Exec(string ipArgs)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return IpCommand.Run($"-n {Name} {ipArgs}");
    }

    /// <summary>Deletes the namespace.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Close(_fd);
        TryDelete(Name);
    }

    private static void TryDelete(string name)
    {
        try
        {
            IpCommand.Run($"netns del {name}");
        }
        catch (IOException)
        {
            // Already gone, or ip failed: nothing more a test can do.
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nsType);
}
