using System.Net;
using System.Security.Cryptography;
using Smolmix.Devices;

namespace Smolmix.Tests.Tcp;

public class InMemoryStreamTests
{
    [Fact]
    public async Task BulkTransfer_BothDirections_ByteExact()
    {
        var (a, b) = InMemoryPacketLink.CreatePair();
        await using var client = NetStack.Start(a, IPAddress.Parse("10.0.0.2"));
        await using var server = NetStack.Start(b, IPAddress.Parse("10.0.0.1"));
        using var listener = server.Listen(80);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var acceptTask = listener.AcceptAsync(cts.Token).AsTask();
        await using var c = await client.ConnectTcpAsync(new IPEndPoint(IPAddress.Parse("10.0.0.1"), 80), cancellationToken: cts.Token);
        await using var s = await acceptTask;
        var data = RandomNumberGenerator.GetBytes(8 << 20);
        var send = Task.Run(async () => { await c.WriteAsync(data, cts.Token); c.ShutdownWrite(); });
        var received = new MemoryStream();
        await s.CopyToAsync(received, cts.Token);
        await send;
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(received.ToArray()));
        // And back.
        var echo = Task.Run(async () => { await s.WriteAsync(data.AsMemory(0, 1 << 20), cts.Token); s.ShutdownWrite(); });
        var back = new MemoryStream();
        await c.CopyToAsync(back, cts.Token);
        await echo;
        Assert.Equal(SHA256.HashData(data.AsSpan(0, 1 << 20)), SHA256.HashData(back.ToArray()));
    }
}
