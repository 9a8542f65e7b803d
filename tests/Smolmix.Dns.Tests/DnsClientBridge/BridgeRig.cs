using System.Net;
using Smolmix.Dns.DnsClient;
using Smolmix.Dns.Tests.Resolver;
using Smolmix.Dns.Wire;

namespace Smolmix.Dns.Tests.DnsClientBridge;

/// <summary>A <see cref="ResolverRig"/> with one scripted server, a resolver over it, and a relay for that resolver.</summary>
internal sealed class BridgeRig : IAsyncDisposable
{
    public static readonly IPAddress V4 = IPAddress.Parse("192.0.2.10");
    public static readonly IPAddress V6 = IPAddress.Parse("2001:db8::10");
    public static readonly TimeSpan Ttl = TimeSpan.FromSeconds(300);
    private readonly ResolverRig _rig = new();

    public BridgeRig(Func<DnsMessage, bool, FakeReply>? handler = null, Action<TunnelResolverOptions>? configure = null)
    {
        Server = _rig.AddServer(handler ?? ((q, _) => Normal(q)));
        Resolver = _rig.Resolver(configure, Server);
        Relay = DnsClientRelay.Start(Resolver);
    }

    public FakeDnsServer Server { get; }

    public TunnelResolver Resolver { get; }

    public DnsClientRelay Relay { get; }

    /// <summary>A plain answer: an A, AAAA, MX or TXT record for the name asked.</summary>
    public static FakeReply Normal(DnsMessage q)
    {
        string name = q.Questions[0].Name;
        return q.Questions[0].Type switch
        {
            DnsRecordType.A => FakeDnsServer.Answer(q, new ARecord(name, Ttl, V4)),
            DnsRecordType.AAAA => FakeDnsServer.Answer(q, new AaaaRecord(name, Ttl, V6)),
            DnsRecordType.MX => FakeDnsServer.Answer(q, new MxRecord(name, Ttl, 10, "mail." + name)),
            DnsRecordType.TXT => FakeDnsServer.Answer(q, new TxtRecord(name, Ttl, [System.Text.Encoding.ASCII.GetBytes("v=spf1 -all")])),
            _ => FakeDnsServer.Answer(q),
        };
    }

    /// <summary>Waits (bounded) until <paramref name="condition"/> holds, for counters updated after an answer is sent.</summary>
    public static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "Timed out waiting: " + what);
            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Relay.DisposeAsync();
        await _rig.DisposeAsync();
    }
}
