using System.Runtime.InteropServices;

namespace Smolmix.Devices;

/// <summary>Owns a Linux file descriptor and closes it once nobody is using it.</summary>
internal sealed class FileDescriptorHandle : SafeHandle
{
    /// <summary>Takes ownership of <paramref name="fd"/>.</summary>
    public FileDescriptorHandle(int fd)
        : base(new IntPtr(-1), ownsHandle: true) => SetHandle(new IntPtr(fd));

    /// <inheritdoc />
    public override bool IsInvalid => handle.ToInt64() < 0;

    /// <summary>The descriptor number; only valid while a reference is held.</summary>
    public int Fd => (int)handle.ToInt64();

    /// <inheritdoc />
    protected override bool ReleaseHandle() => LibC.Close(Fd) == 0;
}
