using System.Net;
using Smolmix.Devnet.Egress;

namespace Smolmix.Devnet.Tests.Egress;

public sealed class EgressTargetMapTests
{
    [Fact]
    public void ExactEntriesWin_WholeAddressEntriesKeepThePort_AndOnlyLoopbackIsAllowed()
    {
        var map = new EgressTargetMap(
            new Dictionary<IPEndPoint, IPEndPoint>
            {
                [IPEndPoint.Parse("192.0.2.10:80")] = IPEndPoint.Parse("127.0.0.1:8080"),
                [IPEndPoint.Parse("192.0.2.10:0")] = IPEndPoint.Parse("127.0.0.2:0"),
                [IPEndPoint.Parse("192.0.2.11:0")] = IPEndPoint.Parse("127.0.0.1:9000"),
            },
            allowNonLoopback: false);
        Assert.Equal(IPEndPoint.Parse("127.0.0.1:8080"), map.Resolve(IPEndPoint.Parse("192.0.2.10:80")));
        Assert.Equal(IPEndPoint.Parse("127.0.0.2:443"), map.Resolve(IPEndPoint.Parse("192.0.2.10:443")));
        Assert.Equal(IPEndPoint.Parse("127.0.0.1:9000"), map.Resolve(IPEndPoint.Parse("192.0.2.11:1")));
        Assert.Equal(IPEndPoint.Parse("[::1]:53"), map.Resolve(IPEndPoint.Parse("[::1]:53")));
        Assert.Null(map.Resolve(IPEndPoint.Parse("198.51.100.1:80")));
        Assert.NotNull(new EgressTargetMap([], allowNonLoopback: true).Resolve(IPEndPoint.Parse("198.51.100.1:80")));
    }
}
