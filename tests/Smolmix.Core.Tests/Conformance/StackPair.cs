using System.Net;
using System.Net.Sockets;
using Smolmix.Devices;
using Smolmix.Tcp;

namespace Smolmix.Tests.Conformance;

/// <summary>
/// Two stacks joined back to back by an <see cref="InMemoryPacketLink"/> (optionally wrapped, e.g. in
/// an <see cref="ImpairmentDevice"/>). The client is 10.0.0.2 / fd00::2, the server 10.0.0.1 / fd00::1.
/// </summary>
internal sealed class StackPair : IAsyncDisposable
{
    public static readonly IPAddress ClientV4 = IPAddress.Parse("10.0.0.2");
    public static readonly IPAddress ServerV4 = IPAddress.Parse("10.0.0.1");
    public static readonly IPAddress ClientV6 = IPAddress.Parse("fd00::2");
    public static readonly IPAddress ServerV6 = IPAddress.Parse("fd00::1");

    private readonly IPacketDevice _clientDevice;
    private readonly IPacketDevice _serverDevice;

    private StackPair(NetStack client, NetStack server, IPacketDevice clientDevice, IPacketDevice serverDevice)
    {
        Client = client;
        Server = server;
        _clientDevice = clientDevice;
        _serverDevice = serverDevice;
    }

    public NetStack Client { get; }

    public NetStack Server { get; }

    public static StackPair Create(
        StackOptions? clientOptions = null,
        StackOptions? serverOptions = null,
        bool v6 = true,
        Func<IPacketDevice, IPacketDevice>? wrapClientDevice = null)
    {
        var (a, b) = InMemoryPacketLink.CreatePair();
        IPacketDevice ca = wrapClientDevice?.Invoke(a) ?? a;
        var client = NetStack.Start(ca, ClientV4, v6 ? ClientV6 : null, clientOptions);
        var server = NetStack.Start(b, ServerV4, v6 ? ServerV6 : null, serverOptions);
        return new StackPair(client, server, ca, b);
    }

    /// <summary>Connects client → server:<paramref name="port"/> and returns both ends.</summary>
    public async Task<(TcpStream Client, TcpStream Server)> ConnectAsync(int port = 80, bool v6 = false, CancellationToken cancellationToken = default)
    {
        using var listener = Server.Listen(port);
        var accept = listener.AcceptAsync(cancellationToken).AsTask();
        var client = await Client.ConnectTcpAsync(new IPEndPoint(v6 ? ServerV6 : ServerV4, port), TimeSpan.FromSeconds(10), cancellationToken);
        var server = await accept;
        return (client, server);
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Server.DisposeAsync();
        await _clientDevice.DisposeAsync();
        await _serverDevice.DisposeAsync();
    }
}

/// <summary>A connected pair of <see cref="TcpStream"/>s over a <see cref="StackPair"/>.</summary>
internal sealed class ConnectedStreams : IAsyncDisposable
{
    private ConnectedStreams(StackPair stacks, TcpStream client, TcpStream server)
    {
        Stacks = stacks;
        Client = client;
        Server = server;
    }

    public StackPair Stacks { get; }

    public TcpStream Client { get; }

    public TcpStream Server { get; }

    public static async Task<ConnectedStreams> CreateAsync(StackOptions? clientOptions = null, StackOptions? serverOptions = null, bool v6 = false)
    {
        var stacks = StackPair.Create(clientOptions, serverOptions);
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var (c, s) = await stacks.ConnectAsync(80, v6, cts.Token);
            return new ConnectedStreams(stacks, c, s);
        }
        catch
        {
            await stacks.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Server.DisposeAsync();
        await Stacks.DisposeAsync();
    }
}

internal static class TestUtil
{
    /// <summary>Reads exactly <paramref name="count"/> bytes or fails at EOF.</summary>
    public static async Task<byte[]> ReadExactlyAsync(Stream s, int count, CancellationToken ct)
    {
        var buf = new byte[count];
        await s.ReadExactlyAsync(buf, ct);
        return buf;
    }

    /// <summary>Reads to EOF, returning everything.</summary>
    public static async Task<byte[]> ReadToEndAsync(Stream s, CancellationToken ct)
    {
        var ms = new MemoryStream();
        await s.CopyToAsync(ms, ct);
        return ms.ToArray();
    }

    /// <summary>Polls <paramref name="condition"/> until true or the bound passes.</summary>
    public static async Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan bound)
    {
        var deadline = DateTime.UtcNow + bound;
        while (DateTime.UtcNow < deadline)
        {
            if (condition())
            {
                return true;
            }
            await Task.Delay(10);
        }
        return condition();
    }

    public static long UnacknowledgedBytes(NetStack stack, TcpStream s)
    {
        lock (stack.Sync)
        {
            return s.Connection.UnacknowledgedBytes;
        }
    }

    public static TcpState State(NetStack stack, TcpStream s)
    {
        lock (stack.Sync)
        {
            return s.Connection.State;
        }
    }

    public static byte[] Pattern(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    public static SocketError SocketErrorOf(Exception e) => e switch
    {
        SocketException se => se.SocketErrorCode,
        IOException { InnerException: SocketException se } => se.SocketErrorCode,
        _ => SocketError.SocketError,
    };
}

/// <summary>Wraps a device and silently drops inbound packets the predicate selects.</summary>
internal sealed class FilteringDevice(IPacketDevice inner, Func<ReadOnlyMemory<byte>, bool> dropInbound) : IPacketDevice
{
    public int Mtu => inner.Mtu;

    public ValueTask WriteAsync(ReadOnlyMemory<byte> packet, CancellationToken cancellationToken = default) => inner.WriteAsync(packet, cancellationToken);

    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            int n = await inner.ReadAsync(buffer, cancellationToken);
            if (n <= 0 || !dropInbound(buffer[..n]))
            {
                return n;
            }
        }
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
