using System.Net;
using System.Text;

namespace Smolmix.Tests.Tunnel;

/// <summary>Servers on a fake exit's internet stack.</summary>
internal static class InternetServers
{
    public static readonly IPEndPoint EchoEndPoint = new(IPAddress.Parse("192.0.2.7"), 7);

    /// <summary>
    /// Accepts every TCP connection (any address and port). A connection that starts with
    /// "GET n\n" gets n bytes of <see cref="Pattern"/> and is closed; any other is echoed until EOF.
    /// </summary>
    public static TcpStreamListener StartTcp(NetStack internet, CancellationToken cancellationToken)
    {
        TcpStreamListener listener = internet.Listen(0, anyAddress: true);
        _ = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    TcpStream stream = await listener.AcceptAsync(cancellationToken);
                    _ = Task.Run(() => ServeAsync(stream, cancellationToken), cancellationToken);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or IOException or System.Net.Sockets.SocketException or System.Threading.Channels.ChannelClosedException)
            {
            }
        }, cancellationToken);
        return listener;
    }

    /// <summary>Echoes every UDP datagram to any address back to its sender, from the address it was sent to.</summary>
    public static UdpSocket StartUdp(NetStack internet, CancellationToken cancellationToken)
    {
        UdpSocket socket = internet.BindUdp(0, anyAddress: true);
        _ = Task.Run(async () =>
        {
            var buffer = new byte[65536];
            try
            {
                while (true)
                {
                    UdpReceiveFromResult r = await socket.ReceiveFromAsync(buffer, cancellationToken);
                    await socket.SendToAsync(buffer.AsMemory(0, r.ReceivedBytes), r.RemoteEndPoint, r.LocalEndPoint, cancellationToken);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or IOException or System.Net.Sockets.SocketException)
            {
            }
        }, cancellationToken);
        return socket;
    }

    /// <summary>The deterministic content served for "GET n": byte i is (i * 31 + i / 251) mod 256.</summary>
    public static void Pattern(Span<byte> destination, long offset)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            long k = offset + i;
            destination[i] = (byte)((k * 31) + (k / 251));
        }
    }

    private static async Task ServeAsync(TcpStream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            await using (stream)
            {
                int n = await stream.ReadAsync(buffer, cancellationToken);
                if (n >= 4 && Encoding.ASCII.GetString(buffer, 0, 4) == "GET ")
                {
                    int end = Array.IndexOf(buffer, (byte)'\n', 0, n);
                    long size = long.Parse(Encoding.ASCII.GetString(buffer, 4, end - 4), System.Globalization.CultureInfo.InvariantCulture);
                    long sent = 0;
                    while (sent < size)
                    {
                        int chunk = (int)Math.Min(buffer.Length, size - sent);
                        Pattern(buffer.AsSpan(0, chunk), sent);
                        await stream.WriteAsync(buffer.AsMemory(0, chunk), cancellationToken);
                        sent += chunk;
                    }

                    stream.ShutdownWrite();
                    await stream.WaitForSendCompletionAsync(cancellationToken);
                    return;
                }

                while (n > 0)
                {
                    await stream.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
                    n = await stream.ReadAsync(buffer, cancellationToken);
                }

                stream.ShutdownWrite();
                await stream.WaitForSendCompletionAsync(cancellationToken);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or IOException or System.Net.Sockets.SocketException)
        {
        }
    }
}
