using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Smolmix.Nym;

namespace Smolmix.Devnet.Tests.Support;

/// <summary>A second <see cref="NetStack"/> acting as the client, on an <see cref="IprTunnelDevice"/> through the Devnet.</summary>
internal sealed class TunnelClient : IAsyncDisposable
{
    private TunnelClient(NymClientConnection connection, IprTunnelDevice device, NetStack stack)
    {
        Connection = connection;
        Device = device;
        Stack = stack;
    }

    public NymClientConnection Connection { get; }

    public IprTunnelDevice Device { get; }

    public NetStack Stack { get; }

    public TimeSpan ConnectTime { get; private set; }

    public static async Task<TunnelClient> ConnectAsync(Devnet devnet, byte version = IprVersion.V9, uint surbs = 10, CancellationToken cancellationToken = default)
    {
        NymClientConnection connection = await TestDevnet.ConnectAsync(devnet);
        IprTunnelDevice device = await IprTunnelDevice.ConnectAsync(connection, TestDevnet.Exit(devnet), version, surbs, cancellationToken: cancellationToken);
        NetStack stack = NetStack.Start(device, device.Connected.Ipv4, device.Connected.Ipv6, new StackOptions { Mtu = device.Mtu, RandomSeed = 7 });
        return new TunnelClient(connection, device, stack);
    }

    /// <summary>Sends <paramref name="length"/> random bytes to a TCP echo at <paramref name="target"/>, half-closes and checks what comes back.</summary>
    public async Task<TimeSpan> EchoTcpAsync(IPEndPoint target, int length, CancellationToken cancellationToken)
    {
        long start = TimeProvider.System.GetTimestamp();
        await using TcpStream tcp = await Stack.ConnectTcpAsync(target, TimeSpan.FromSeconds(30), cancellationToken);
        ConnectTime = TimeProvider.System.GetElapsedTime(start);
        Assert.Equal(target, tcp.LocalEndPoint is null ? null : tcp.RemoteEndPoint);
        byte[] data = RandomNumberGenerator.GetBytes(length);
        Task send = Task.Run(async () =>
        {
            await tcp.WriteAsync(data, cancellationToken);
            tcp.ShutdownWrite();
        }, cancellationToken);
        using var back = new MemoryStream();
        await tcp.CopyToAsync(back, cancellationToken);
        await send;
        Assert.Equal(length, back.Length);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(back.ToArray()));
        return TimeProvider.System.GetElapsedTime(start);
    }

    /// <summary>Sends datagrams to a UDP echo until one comes back; returns the answer's source.</summary>
    public async Task<IPEndPoint> EchoUdpAsync(IPEndPoint target, CancellationToken cancellationToken)
    {
        using UdpSocket udp = Stack.BindUdp();
        var buffer = new byte[2048];
        for (int attempt = 0; ; attempt++)
        {
            byte[] payload = RandomNumberGenerator.GetBytes(100);
            await udp.SendToAsync(payload, target, cancellationToken);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(TimeSpan.FromSeconds(3));
            try
            {
                UdpReceiveFromResult result = await udp.ReceiveFromAsync(buffer, wait.Token);
                Assert.Equal(payload, buffer[..result.ReceivedBytes]);
                return result.RemoteEndPoint;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && attempt < 5)
            {
                // Lost on a lossy preset: try again.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Stack.DisposeAsync();
        await Device.DisposeAsync();
        await Connection.DisposeAsync();
    }
}
