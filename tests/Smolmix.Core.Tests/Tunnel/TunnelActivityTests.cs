using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;

namespace Smolmix.Tests.Tunnel;

/// <summary>The "Smolmix" ActivitySource: spans for tunnel connect and TCP connect, with no address in their tags.</summary>
public sealed class TunnelActivityTests
{
    private static readonly ActivitySource TestSource = new("Smolmix.Tests.Activities");

    [Fact]
    public async Task TunnelAndTcpConnectsAreSpansWithoutAddresses()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is SmolmixDiagnostics.ActivitySourceName or "Smolmix.Tests.Activities",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        await using var net = new FakeMixnet();
        FakeInternetExit exit = net.AddExit(10);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        InternetServers.StartTcp(exit.Internet, cts.Token);
        ActivityTraceId trace;
        using (Activity root = TestSource.StartActivity("test")!)
        {
            trace = root.TraceId;
            await using Smolmix.Tunnel tunnel = await Smolmix.Tunnel.ConnectAsync(net.Options(exit), cts.Token);
            await using TcpStream stream = await tunnel.ConnectTcpAsync(new IPEndPoint(IPAddress.Parse("192.0.2.7"), 7), cts.Token);
        }

        Activity[] ours = [.. stopped.Where(a => a.TraceId == trace && a.Source.Name == SmolmixDiagnostics.ActivitySourceName)];
        Activity connect = Assert.Single(ours, a => a.OperationName == SmolmixDiagnostics.TunnelConnectActivity);
        Activity tcp = Assert.Single(ours, a => a.OperationName == SmolmixDiagnostics.TcpConnectActivity);
        Assert.Equal(10, connect.GetTagItem("smolmix.tunnel.protocol_version"));
        Assert.Equal("tcp", tcp.GetTagItem("network.transport"));
        Assert.Equal(ActivityStatusCode.Unset, tcp.Status);
        foreach (Activity a in ours)
        {
            foreach (KeyValuePair<string, string?> tag in a.Tags)
            {
                Assert.DoesNotContain("192.0.2.7", tag.Value ?? string.Empty, StringComparison.Ordinal);
                Assert.DoesNotContain(exit.Address.ToString(), tag.Value ?? string.Empty, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task AFailedTunnelConnectIsAnErrorSpanWithItsReason()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is SmolmixDiagnostics.ActivitySourceName or "Smolmix.Tests.Activities",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using var net = new FakeMixnet();
        net.Server.RejectConnections = true;
        ActivityTraceId trace;
        using (Activity root = TestSource.StartActivity("test")!)
        {
            trace = root.TraceId;
            await Assert.ThrowsAsync<TunnelException>(() => Smolmix.Tunnel.ConnectAsync(net.Options(net.AddExit(10))));
        }

        Activity connect = Assert.Single(stopped, a => a.TraceId == trace && a.OperationName == SmolmixDiagnostics.TunnelConnectActivity);
        Assert.Equal(ActivityStatusCode.Error, connect.Status);
        Assert.Equal(nameof(TunnelFailureReason.NymClientProtocolError), connect.GetTagItem("smolmix.tunnel.failure_reason"));
    }
}
