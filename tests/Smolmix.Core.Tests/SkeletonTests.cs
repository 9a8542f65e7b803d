using Smolmix.Devices;

namespace Smolmix.Tests;

public class SkeletonTests
{
    [Fact]
    public void PacketDeviceContractIsAnInterface() => Assert.True(typeof(IPacketDevice).IsInterface);
}
