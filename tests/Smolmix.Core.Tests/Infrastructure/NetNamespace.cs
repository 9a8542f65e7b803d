using Smolmix.Devices;

namespace Smolmix.Tests.Infrastructure;

/// <summary>Throwaway network namespaces for root-only tests: the library's <see cref="NetworkNamespace"/> with a random name.</summary>
internal static class NetNamespace
{
    /// <summary>Creates a namespace named <paramref name="prefix"/> plus a random suffix, with loopback up.</summary>
    public static NetworkNamespace Create(string prefix) =>
        NetworkNamespace.Create($"{prefix}-{Convert.ToHexStringLower(Guid.NewGuid().ToByteArray(), 0, 4)}");
}
