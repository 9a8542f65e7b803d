using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Channels;

namespace Smolmix.Devices;

/// <summary>
/// A Linux TUN interface (<c>/dev/net/tun</c>, <c>IFF_TUN | IFF_NO_PI</c>): raw IP packets to and
/// from the kernel's network stack. Needs CAP_NET_ADMIN. The interface exists while the device
/// is open; configure it (address, MTU, up, namespace) with the <c>ip</c> command.
/// </summary>
/// <remarks>
/// A dedicated thread waits with <c>poll()</c> on the non-blocking descriptor and an eventfd,
/// and queues packets for <see cref="ReadAsync"/>; disposing signals the eventfd, so a pending
/// read returns 0 promptly. Writes are one <c>write()</c> of one packet on the caller's thread.
/// </remarks>
public sealed class TunDevice : IPacketDevice
{
    private const nuint TUNSETIFF = 0x400454CA; // _IOW('T', 202, int)
    private const short IFF_TUN = 0x0001;
    private const short IFF_NO_PI = 0x1000;
    private const int IfNameSize = 16; // IFNAMSIZ, including the terminating NUL
    private const int IfReqSize = 40;
    private const int ReadQueueCapacity = 1024;

    private readonly FileDescriptorHandle _tun;
    private readonly FileDescriptorHandle _wakeup;
    private readonly Channel<PooledPacket> _received = Channel.CreateBounded<PooledPacket>(new BoundedChannelOptions(ReadQueueCapacity)
    {
        FullMode = BoundedChannelFullMode.Wait,
        SingleReader = true,
        SingleWriter = true,
    });

    private readonly CancellationTokenSource _closing = new();
    private readonly Thread _reader;
    private volatile bool _disposed;

    private TunDevice(FileDescriptorHandle tun, FileDescriptorHandle wakeup, string name, int mtu)
    {
        _tun = tun;
        _wakeup = wakeup;
        Name = name;
        Mtu = mtu;
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = $"smolmix-tun-{name}" };
        _reader.Start();
    }

    /// <summary>The interface's name, as the kernel assigned it.</summary>
    public string Name { get; }

    /// <inheritdoc />
    public int Mtu { get; }

    /// <summary>
    /// Opens <c>/dev/net/tun</c> and creates the TUN interface <paramref name="name"/>. It starts
    /// down and without addresses.
    /// </summary>
    /// <param name="name">The interface name, 1 to 15 ASCII characters; may contain <c>%d</c> for the kernel to number it.</param>
    /// <param name="mtu">The MTU the caller will configure, reported by <see cref="Mtu"/>.</param>
    /// <returns>The open device.</returns>
    /// <exception cref="PlatformNotSupportedException">Not Linux, or the kernel has no TUN support.</exception>
    /// <exception cref="UnauthorizedAccessException">The process lacks CAP_NET_ADMIN or access to <c>/dev/net/tun</c>.</exception>
    /// <exception cref="IOException">The kernel refused, for example because the name is taken.</exception>
    public static unsafe TunDevice Create(string name, int mtu = 1420)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(mtu, 68);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(mtu, 65535);
        if (name.Length >= IfNameSize || !Ascii.IsValid(name) || name.Any(c => c is '/' or ':' || char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            throw new ArgumentException($"'{name}' is not a valid interface name (1-15 ASCII characters, no '/', ':' or spaces).", nameof(name));
        }

        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("TUN devices are only supported on Linux.");
        }

        int fd = LibC.Open("/dev/net/tun", LibC.O_RDWR | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw errno switch
            {
                LibC.ENOENT or LibC.ENODEV => new PlatformNotSupportedException($"/dev/net/tun is not available: {LibC.Describe(errno)}."),
                LibC.EACCES or LibC.EPERM => new UnauthorizedAccessException($"Cannot open /dev/net/tun: {LibC.Describe(errno)}."),
                _ => new IOException($"Cannot open /dev/net/tun: {LibC.Describe(errno)}."),
            };
        }

        var tun = new FileDescriptorHandle(fd);
        try
        {
            byte* ifreq = stackalloc byte[IfReqSize];
            new Span<byte>(ifreq, IfReqSize).Clear();
            Encoding.ASCII.GetBytes(name, new Span<byte>(ifreq, IfNameSize - 1));
            *(short*)(ifreq + IfNameSize) = IFF_TUN | IFF_NO_PI;
            if (LibC.Ioctl(fd, TUNSETIFF, ifreq) < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw errno switch
                {
                    LibC.EPERM or LibC.EACCES => new UnauthorizedAccessException($"Cannot create TUN interface '{name}' (needs CAP_NET_ADMIN): {LibC.Describe(errno)}."),
                    _ => new IOException($"Cannot create TUN interface '{name}': {LibC.Describe(errno)}."),
                };
            }

            var nameBytes = new ReadOnlySpan<byte>(ifreq, IfNameSize);
            int end = nameBytes.IndexOf((byte)0);
            string assigned = Encoding.ASCII.GetString(end < 0 ? nameBytes : nameBytes[..end]);

            int efd = LibC.EventFd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
            if (efd < 0)
            {
                throw new IOException($"eventfd failed: {LibC.Describe(Marshal.GetLastPInvokeError())}.");
            }

            return new TunDevice(tun, new FileDescriptorHandle(efd), assigned, mtu);
        }
        catch
        {
            tun.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public unsafe ValueTask WriteAsync(ReadOnlyMemory<byte> packet, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (packet.IsEmpty)
        {
            throw new ArgumentException("A packet cannot be empty.", nameof(packet));
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        bool added = false;
        try
        {
            _tun.DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
            throw new ObjectDisposedException(nameof(TunDevice));
        }

        try
        {
            fixed (byte* p = packet.Span)
            {
                while (true)
                {
                    nint n = LibC.Write(_tun.Fd, p, (nuint)packet.Length);
                    if (n >= 0)
                    {
                        return default;
                    }

                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == LibC.EINTR)
                    {
                        continue;
                    }

                    if (errno != LibC.EAGAIN)
                    {
                        throw new IOException($"Writing a {packet.Length}-byte packet to TUN '{Name}' failed: {LibC.Describe(errno)}.");
                    }

                    // The kernel is momentarily full: wait briefly for room, staying cancellable.
                    cancellationToken.ThrowIfCancellationRequested();
                    ObjectDisposedException.ThrowIf(_disposed, this);
                    var pfd = new LibC.PollFd { Fd = _tun.Fd, Events = LibC.POLLOUT };
                    LibC.Poll(&pfd, 1, 10);
                }
            }
        }
        finally
        {
            if (added)
            {
                _tun.DangerousRelease();
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_disposed)
        {
            return new ValueTask<int>(0);
        }

        if (_received.Reader.TryRead(out var packet))
        {
            return new ValueTask<int>(Deliver(packet, buffer.Span));
        }

        return ReadSlowAsync(buffer, cancellationToken);
    }

    private async ValueTask<int> ReadSlowAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (await _received.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_disposed)
            {
                return 0;
            }

            if (_received.Reader.TryRead(out var packet))
            {
                return Deliver(packet, buffer.Span);
            }
        }

        return 0;
    }

    private static int Deliver(PooledPacket packet, Span<byte> destination)
    {
        int n = packet.CopyTo(destination);
        packet.Return();
        return n;
    }

    private unsafe void ReadLoop()
    {
        bool tunAdded = false;
        bool wakeAdded = false;
        Exception? fault = null;
        try
        {
            _tun.DangerousAddRef(ref tunAdded);
            _wakeup.DangerousAddRef(ref wakeAdded);
            var scratch = new byte[ushort.MaxValue + 1];
            var fds = stackalloc LibC.PollFd[2];
            while (true)
            {
                fds[0] = new LibC.PollFd { Fd = _tun.Fd, Events = LibC.POLLIN };
                fds[1] = new LibC.PollFd { Fd = _wakeup.Fd, Events = LibC.POLLIN };
                if (LibC.Poll(fds, 2, -1) < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == LibC.EINTR)
                    {
                        continue;
                    }

                    throw new IOException($"poll on TUN '{Name}' failed: {LibC.Describe(errno)}.");
                }

                if (fds[1].Revents != 0 || _disposed)
                {
                    return;
                }

                if ((fds[0].Revents & (LibC.POLLERR | LibC.POLLHUP | LibC.POLLNVAL)) != 0)
                {
                    throw new IOException($"TUN '{Name}' failed (poll events 0x{fds[0].Revents:x}); the interface may have been deleted.");
                }

                if (!DrainKernelQueue(scratch))
                {
                    return;
                }
            }
        }
        catch (Exception e)
        {
            fault = e;
        }
        finally
        {
            _received.Writer.TryComplete(fault);
            if (wakeAdded)
            {
                _wakeup.DangerousRelease();
            }

            if (tunAdded)
            {
                _tun.DangerousRelease();
            }
        }
    }

    /// <summary>Reads packets until the kernel has none; false if the device is closing.</summary>
    private unsafe bool DrainKernelQueue(byte[] scratch)
    {
        fixed (byte* p = scratch)
        {
            while (true)
            {
                nint n = LibC.Read(_tun.Fd, p, (nuint)scratch.Length);
                if (n < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == LibC.EINTR)
                    {
                        continue;
                    }

                    if (errno == LibC.EAGAIN)
                    {
                        return true;
                    }

                    throw new IOException($"Reading from TUN '{Name}' failed: {LibC.Describe(errno)}.");
                }

                if (n == 0)
                {
                    return true;
                }

                var packet = PooledPacket.Copy(scratch.AsSpan(0, (int)n));
                if (!Enqueue(packet))
                {
                    packet.Return();
                    return false;
                }
            }
        }
    }

    /// <summary>Queues a packet for the reader, waiting for room (backpressure) until the device closes.</summary>
    private bool Enqueue(PooledPacket packet)
    {
        while (!_received.Writer.TryWrite(packet))
        {
            try
            {
                // A dedicated thread: blocking here is the backpressure (the kernel queue fills and drops).
                if (!_received.Writer.WaitToWriteAsync(_closing.Token).AsTask().GetAwaiter().GetResult())
                {
                    return false;
                }
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return default;
        }

        _disposed = true;
        _closing.Cancel();
        SignalWakeup();
        if (Thread.CurrentThread != _reader)
        {
            _reader.Join(TimeSpan.FromSeconds(5));
        }

        _received.Writer.TryComplete();
        while (_received.Reader.TryRead(out var packet))
        {
            packet.Return();
        }

        _tun.Dispose();
        _wakeup.Dispose();
        return default;
    }

    private unsafe void SignalWakeup()
    {
        bool added = false;
        try
        {
            _wakeup.DangerousAddRef(ref added);
            ulong one = 1;
            LibC.Write(_wakeup.Fd, (byte*)&one, sizeof(ulong));
        }
        finally
        {
            if (added)
            {
                _wakeup.DangerousRelease();
            }
        }
    }
}
