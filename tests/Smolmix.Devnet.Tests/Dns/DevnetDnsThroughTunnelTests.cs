using System.Net;
using System.Security.Cryptography;
using Smolmix.Devnet.Tests.Support;
using Smolmix.Dns;
using Smolmix.Dns.Wire;
using DevnetHost = Smolmix.Devnet.Devnet;

namespace Smolmix.Devnet.Tests.Dns;

/// <summary>
/// The Devnet's resolver as a tunnel user meets it: plain DNS to the default resolver addresses
/// (<see cref="DnsServer.Defaults"/>) through a real <see cref="Smolmix.Tunnel"/>, the exit and the
/// userspace NAT, and connections to the addresses it answers reaching a service on loopback.
/// </summary>
public sealed class DevnetDnsThroughTunnelTests
{
    private const string Name = "demo.smolmix.test";
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    private static IPEndPoint Quad9 => DnsServer.Defaults[0].EndPoint;

    private static IPEndPoint Cloudflare => DnsServer.Defaults[1].EndPoint;

    private static TunnelOptions Options(DevnetHost devnet) => new()
    {
        NymClient = devnet.NymClientUri,
        Exits = [devnet.ExitAddress],
        ConnectTimeout = TimeSpan.FromSeconds(60),
    };

    private static async Task<DnsMessage> UdpQueryAsync(UdpSocket udp, IPEndPoint server, ushort id, string name, DnsRecordType type, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        byte[] query = DnsMessage.Query(id, new DnsQuestion(name, type)).Encode();
        for (int attempt = 0; ; attempt++)
        {
            await udp.SendToAsync(query, server, cancellationToken);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(TimeSpan.FromSeconds(5));
            try
            {
                while (true)
                {
                    UdpReceiveFromResult r = await udp.ReceiveFromAsync(buffer, wait.Token);
                    DnsMessage m = DnsMessage.Parse(buffer.AsSpan(0, r.ReceivedBytes));
                    if (m.Id == id && r.RemoteEndPoint.Equals(server))
                    {
                        return m;
                    }
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && attempt < 3)
            {
            }
        }
    }

    [Fact]
    public async Task DefaultResolvers_AnswerTheZone_OverUdpAndTcp_AndTheAnswerReachesTheLoopbackService()
    {
        using var cts = new CancellationTokenSource(Limit);
        await using var services = HostServices.Start(IPAddress.Loopback);
        await using DevnetHost devnet = await TestDevnet.StartAsync(DevnetPreset.Instant, o =>
        {
            o.Hosts[Name] = services.Tcp;
            for (int i = 0; i < 12; i++)
            {
                o.DnsRecords.Add(new TxtRecord("big." + Name, TimeSpan.FromSeconds(60), new string((char)('a' + i), 200)));
            }
        });
        DevnetHostMapping host = Assert.Single(devnet.Hosts);
        Assert.Equal(IPAddress.Parse("198.18.0.1"), host.IPv4);
        Assert.Equal(IPAddress.Parse("2001:2::1"), host.IPv6);
        await using var tunnel = await Smolmix.Tunnel.ConnectAsync(Options(devnet), cts.Token);
        using UdpSocket udp = await tunnel.BindUdpAsync(cancellationToken: cts.Token);

        DnsMessage a = await UdpQueryAsync(udp, Quad9, 1, "Demo.Smolmix.Test", DnsRecordType.A, cts.Token);
        Assert.Equal(DnsResponseCode.NoError, a.ResponseCode);
        Assert.Equal(host.IPv4, Assert.IsType<ARecord>(Assert.Single(a.Answers)).Address);

        DnsMessage aaaa = await UdpQueryAsync(udp, Cloudflare, 2, Name, DnsRecordType.AAAA, cts.Token);
        Assert.Equal(host.IPv6, Assert.IsType<AaaaRecord>(Assert.Single(aaaa.Answers)).Address);

        DnsMessage nx = await UdpQueryAsync(udp, Quad9, 3, "example.com", DnsRecordType.A, cts.Token);
        Assert.Equal(DnsResponseCode.NameError, nx.ResponseCode);
        Assert.IsType<SoaRecord>(Assert.Single(nx.Authorities));

        DnsMessage nodata = await UdpQueryAsync(udp, Quad9, 4, Name, DnsRecordType.MX, cts.Token);
        Assert.Equal(DnsResponseCode.NoError, nodata.ResponseCode);
        Assert.Empty(nodata.Answers);
        Assert.IsType<SoaRecord>(Assert.Single(nodata.Authorities));

        // Too big for UDP: TC, then the same question over TCP (2-byte length prefix) gets it all.
        DnsMessage truncated = await UdpQueryAsync(udp, Quad9, 5, "big." + Name, DnsRecordType.TXT, cts.Token);
        Assert.True(truncated.Truncated);
        Assert.Empty(truncated.Answers);
        await using (TcpStream dnsTcp = await tunnel.ConnectTcpAsync(Cloudflare, cts.Token))
        {
            DnsMessage whole = await DnsZoneTests.TcpQueryAsync(dnsTcp, DnsMessage.Query(6, new DnsQuestion("big." + Name, DnsRecordType.TXT)), cts.Token);
            Assert.False(whole.Truncated);
            Assert.Equal(12, whole.Answers.Count);
            DnsMessage viaTcp = await DnsZoneTests.TcpQueryAsync(dnsTcp, DnsMessage.Query(7, new DnsQuestion(Name, DnsRecordType.A)), cts.Token);
            Assert.Equal(host.IPv4, Assert.IsType<ARecord>(Assert.Single(viaTcp.Answers)).Address);
        }

        // The answered addresses at the target's port reach the loopback service, byte-exact, over IPv4 and IPv6.
        foreach (IPAddress address in new[] { host.IPv4, host.IPv6 })
        {
            await using TcpStream tcp = await tunnel.ConnectTcpAsync(new IPEndPoint(address, services.Tcp.Port), cts.Token);
            byte[] data = RandomNumberGenerator.GetBytes(100_000);
            Task send = Task.Run(async () =>
            {
                await tcp.WriteAsync(data, cts.Token);
                tcp.ShutdownWrite();
            }, cts.Token);
            var back = new MemoryStream();
            await tcp.CopyToAsync(back, cts.Token);
            await send;
            Assert.Equal(SHA256.HashData(data), SHA256.HashData(back.ToArray()));
        }

        // Other ports of a host address are refused, as on a real host.
        var refused = await Assert.ThrowsAsync<System.Net.Sockets.SocketException>(() => tunnel.ConnectTcpAsync(new IPEndPoint(host.IPv4, HostServices.ClosedPort()), cts.Token));
        Assert.Equal(System.Net.Sockets.SocketError.ConnectionRefused, refused.SocketErrorCode);

        DevnetDnsCounters counters = devnet.Counters.Dns;
        Assert.True(counters.QueriesAnswered >= 7, counters.ToString());
        Assert.True(counters.NameErrors >= 1);
        Assert.True(counters.TruncatedAnswers >= 1);
        Assert.Equal(1, counters.TcpConnections);
    }

    [Fact]
    public async Task WithoutHosts_EveryNameIsNxdomain_AndGarbageDoesNotStopTheResolver()
    {
        using var cts = new CancellationTokenSource(Limit);
        await using DevnetHost devnet = await TestDevnet.StartAsync(DevnetPreset.Instant);
        Assert.Empty(devnet.Hosts);
        await using var tunnel = await Smolmix.Tunnel.ConnectAsync(Options(devnet), cts.Token);
        using UdpSocket udp = await tunnel.BindUdpAsync(cancellationToken: cts.Token);

        var random = new Random(5);
        for (int i = 0; i < 50; i++)
        {
            byte[] junk = new byte[random.Next(1, 300)];
            random.NextBytes(junk);
            junk[2] &= 0x7F; // a "query", so a parsable header gets FORMERR
            await udp.SendToAsync(junk, i % 2 == 0 ? Quad9 : Cloudflare, cts.Token);
        }

        await using (TcpStream junkTcp = await tunnel.ConnectTcpAsync(Quad9, cts.Token))
        {
            await junkTcp.WriteAsync(new byte[] { 0x00, 0x05, 1, 2, 3, 4, 5 }, cts.Token); // a 5-byte "message"
            var one = new byte[64];
            Assert.Equal(0, await junkTcp.ReadAsync(one, cts.Token)); // closed by the server
        }

        DnsMessage m = await UdpQueryAsync(udp, Quad9, 900, "anything.example", DnsRecordType.A, cts.Token);
        Assert.Equal(DnsResponseCode.NameError, m.ResponseCode);
        await TestDevnet.EventuallyAsync(() => devnet.Counters.Dns.QueriesAnswered + devnet.Counters.Dns.Dropped >= 51, "the junk to be counted");
    }
}
