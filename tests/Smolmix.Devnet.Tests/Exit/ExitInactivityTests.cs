using System.Net;
using Microsoft.Extensions.Time.Testing;
using Smolmix.Devnet.Tests.Support;
using Smolmix.Nym;

namespace Smolmix.Devnet.Tests.Exit;

/// <summary>The exit forgets clients after 60 s without data packets, checked every 10 s (fake clock).</summary>
public sealed class ExitInactivityTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task AClientWithoutData_IsDropped_AfterSixtySeconds_PingsDoNotCount()
    {
        await using Devnet devnet = await TestDevnet.StartAsync(DevnetPreset.Instant, o => o.TimeProvider = _time);
        await using IprProbe probe = await IprProbe.ConnectAsync(devnet);
        await probe.ConnectAsync();

        await AdvanceAsync(50);
        await probe.AssertNextIsPongAsync();
        await AdvanceAsync(10); // t = 60 s: not yet older than 60 s
        Assert.Equal(1, devnet.Counters.Exit.ActiveClients);
        await AdvanceAsync(10); // t = 70 s: dropped, the ping did not refresh it
        await TestDevnet.EventuallyAsync(() => devnet.Counters.Exit.ActiveClients == 0, "the idle client to be dropped");
        Assert.Equal(1, devnet.Counters.Exit.InactivityDisconnects);

        // No UnrequestedDisconnect is sent; data from the old address is now dropped.
        await probe.AssertNothingAsync(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task DataPackets_RefreshTheClient()
    {
        await using Devnet devnet = await TestDevnet.StartAsync(DevnetPreset.Instant, o => o.TimeProvider = _time);
        await using IprProbe probe = await IprProbe.ConnectAsync(devnet);
        IprConnectSuccess connected = await probe.ConnectAsync();

        await AdvanceAsync(50);
        byte[] packet = TestPackets.Udp(connected.Ipv4, IPAddress.Loopback, 40000, 9, [1, 2, 3]);
        await probe.SendFramedAsync(new IprDataRequest(IprVersion.V9, PacketBundle.EncodeOne(packet)).ToArray(), 1);
        await TestDevnet.EventuallyAsync(() => devnet.Counters.Exit.PacketsToEgress == 1, "the packet to reach the egress");

        await AdvanceAsync(60); // t = 110 s: last data at 50 s, 60 s ago: kept
        Assert.Equal(1, devnet.Counters.Exit.ActiveClients);
        await AdvanceAsync(10); // t = 120 s: dropped
        await TestDevnet.EventuallyAsync(() => devnet.Counters.Exit.ActiveClients == 0, "the idle client to be dropped");

        await probe.SendFramedAsync(new IprDataRequest(IprVersion.V9, PacketBundle.EncodeOne(packet)).ToArray(), 2);
        await TestDevnet.EventuallyAsync(() => devnet.Counters.Exit.DropsFor(ExitDropReason.UnknownSource) == 1, "the stale packet to be dropped");
    }

    private async Task AdvanceAsync(int seconds)
    {
        for (int i = 0; i < seconds; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            await Task.Yield();
        }
    }
}
