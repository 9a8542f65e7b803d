using System.Net;
using Smolmix.Devices;

namespace Smolmix.Http.Tests.Support;

/// <summary>Two stacks joined in memory: the client 10.0.0.2, the server 10.0.0.1 (packets to any other address vanish).</summary>
internal sealed class StackPair : IAsyncDisposable
{
    public static readonly IPAddress ServerAddress = IPAddress.Parse("10.0.0.1");
    private readonly IPacketDevice _a;
    private readonly IPacketDevice _b;

    public StackPair()
    {
        (_a, _b) = InMemoryPacketLink.CreatePair();
        Client = NetStack.Start(_a, IPAddress.Parse("10.0.0.2"));
        Server = NetStack.Start(_b, ServerAddress);
    }

    public NetStack Client { get; }

    public NetStack Server { get; }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Server.DisposeAsync();
        await _a.DisposeAsync();
        await _b.DisposeAsync();
    }
}
