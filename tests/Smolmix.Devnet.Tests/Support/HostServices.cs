using System.Net;
using System.Net.Sockets;

namespace Smolmix.Devnet.Tests.Support;

/// <summary>TCP and UDP echo servers on real host sockets (loopback, or inside a namespace).</summary>
internal sealed class HostServices : IAsyncDisposable
{
    private readonly Socket _tcp;
    private readonly Socket _udp;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _tasks = [];

    public HostServices(Socket tcpListener, Socket udp)
    {
        _tcp = tcpListener;
        _udp = udp;
        _tasks.Add(AcceptLoopAsync());
        _tasks.Add(UdpLoopAsync());
    }

    public IPEndPoint Tcp => (IPEndPoint)_tcp.LocalEndPoint!;

    public IPEndPoint Udp => (IPEndPoint)_udp.LocalEndPoint!;

    public int TcpConnections { get; private set; }

    /// <summary>Echo servers on <paramref name="address"/> (ephemeral ports).</summary>
    public static HostServices Start(IPAddress address) => new(CreateTcp(address), CreateUdp(address));

    public static Socket CreateTcp(IPAddress address)
    {
        var tcp = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        tcp.Bind(new IPEndPoint(address, 0));
        tcp.Listen(64);
        return tcp;
    }

    public static Socket CreateUdp(IPAddress address)
    {
        var udp = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(new IPEndPoint(address, 0));
        return udp;
    }

    /// <summary>A loopback port nothing listens on.</summary>
    public static int ClosedPort()
    {
        using var probe = CreateTcp(IPAddress.Loopback);
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _tcp.Dispose();
        _udp.Dispose();
        try
        {
            await Task.WhenAll(_tasks).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException or TimeoutException)
        {
        }
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (true)
            {
                Socket client = await _tcp.AcceptAsync(_stop.Token);
                TcpConnections++;
                _tasks.Add(EchoAsync(client));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task EchoAsync(Socket client)
    {
        using (client)
        {
            var buffer = new byte[64 * 1024];
            try
            {
                while (true)
                {
                    int n = await client.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                    if (n == 0)
                    {
                        client.Shutdown(SocketShutdown.Send);
                        return;
                    }

                    await client.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, _stop.Token);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        }
    }

    private async Task UdpLoopAsync()
    {
        var buffer = new byte[65536];
        try
        {
            while (true)
            {
                SocketReceiveFromResult result = await _udp.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(_udp.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0), _stop.Token);
                await _udp.SendToAsync(buffer.AsMemory(0, result.ReceivedBytes), SocketFlags.None, result.RemoteEndPoint, _stop.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }
}
