using System.Net;
using Smolmix.Devnet.Tests.Support;
using Smolmix.Dns;
using Smolmix.Dns.Wire;
using Smolmix.Nym;
using Smolmix.Tests.Infrastructure;

namespace Smolmix.Devnet.Tests.Dns;

/// <summary>With kernel egress the resolver lives in the egress namespace, at the default resolver addresses. Needs root.</summary>
public sealed class DevnetDnsKernelEgressTests
{
    private static readonly IPAddress Service = IPAddress.Parse("192.0.2.10");

    [SkippableFact]
    public async Task Resolver_AnswersInTheNamespace_AndTheRecordReachesANamespaceService()
    {
        Skip.IfNot(Root.IsRoot, $"kernel egress needs root: {Root.WhyNotRoot}");
        await using Devnet devnet = await TestDevnet.StartAsync(DevnetPreset.Instant, o =>
        {
            o.Egress = DevnetEgressMode.Kernel;
            o.DnsRecords.Add(new ARecord("svc.smolmix.test", TimeSpan.FromSeconds(60), Service));
        });
        devnet.AddEgressAddress(Service);
        await using HostServices services = devnet.RunInEgressNamespace(() => HostServices.Start(Service));
        await using TunnelClient client = await TunnelClient.ConnectAsync(devnet, IprVersion.V10);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        using UdpSocket udp = client.Stack.BindUdp();
        var buffer = new byte[2048];
        DnsMessage answer;
        while (true)
        {
            await udp.SendToAsync(DnsMessage.Query(31, new DnsQuestion("SVC.smolmix.test", DnsRecordType.A)).Encode(), DnsServer.Defaults[0].EndPoint, cts.Token);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
            wait.CancelAfter(TimeSpan.FromSeconds(5));
            try
            {
                UdpReceiveFromResult r = await udp.ReceiveFromAsync(buffer, wait.Token);
                Assert.Equal(DnsServer.Defaults[0].EndPoint, r.RemoteEndPoint);
                answer = DnsMessage.Parse(buffer.AsSpan(0, r.ReceivedBytes));
                break;
            }
            catch (OperationCanceledException) when (!cts.IsCancellationRequested)
            {
            }
        }

        Assert.Equal(Service, Assert.IsType<ARecord>(Assert.Single(answer.Answers)).Address);
        await using (TcpStream tcp = await client.Stack.ConnectTcpAsync(DnsServer.Defaults[1].EndPoint, TimeSpan.FromSeconds(20), cts.Token))
        {
            DnsMessage nx = await DnsZoneTests.TcpQueryAsync(tcp, DnsMessage.Query(32, new DnsQuestion("nope.smolmix.test", DnsRecordType.A)), cts.Token);
            Assert.Equal(DnsResponseCode.NameError, nx.ResponseCode);
        }

        await client.EchoTcpAsync(new IPEndPoint(Service, services.Tcp.Port), 32 * 1024, cts.Token);
        Assert.True(devnet.Counters.Dns.QueriesAnswered >= 2);
    }
}
