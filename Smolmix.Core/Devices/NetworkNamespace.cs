using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace Smolmix.Devices;

/// <summary>
/// A Linux network namespace created with <c>ip netns add</c> and deleted on dispose (the Devnet's kernel
/// egress and the root-only tests use it).
/// <see cref="Run{T}"/> runs code on a fresh OS thread that has entered the namespace (setns), so
/// sockets it creates live there and keep working from any thread afterwards. Needs root.
/// </summary>
internal sealed partial class NetworkNamespace : IDisposable
{
    private const int CloneNewNet = 0x40000000;
    private const int OpenReadOnlyCloseOnExec = 0x80000;
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(30);

    private readonly int _fd;
    private int _disposed;

    private NetworkNamespace(string name, int fd)
    {
        Name = name;
        _fd = fd;
    }

    /// <summary>The namespace's name for <c>ip netns</c>.</summary>
    public string Name { get; }

    /// <summary>Creates <paramref name="name"/> with loopback up.</summary>
    /// <exception cref="IOException">ip failed or the namespace could not be opened.</exception>
    public static NetworkNamespace Create(string name)
    {
        IpCommand.Run($"netns add {name}");
        int fd = Open($"/var/run/netns/{name}", OpenReadOnlyCloseOnExec);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            TryDelete(name);
            throw new IOException($"Cannot open /var/run/netns/{name}: {Marshal.GetPInvokeErrorMessage(errno)}");
        }

        var ns = new NetworkNamespace(name, fd);
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

    /// <summary>Runs <c>ip -n NAME <paramref name="args"/></c>.</summary>
    public string Exec(string args) => IpCommand.Run($"-n {Name} {args}");

    /// <summary>Runs <paramref name="action"/> inside the namespace on a new OS thread and returns its result.</summary>
    /// <exception cref="TimeoutException">The action took longer than 30 seconds.</exception>
    public T Run<T>(Func<T> action)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                if (SetNs(_fd, CloneNewNet) != 0)
                {
                    throw new IOException($"setns into {Name} failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
                }

                result = action();
            }
            catch (Exception ex)
            {
                failure = ExceptionDispatchInfo.Capture(ex);
            }
        })
        {
            IsBackground = true,
            Name = $"netns-{Name}",
        };

        // The thread ends with the action, so no pool thread is ever left inside the namespace.
        thread.Start();
        if (!thread.Join(RunTimeout))
        {
            throw new TimeoutException($"Code in namespace {Name} did not finish within {RunTimeout}.");
        }

        failure?.Throw();
        return result;
    }

    /// <summary>Deletes the namespace.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

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
            // Already gone.
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nsType);
}
