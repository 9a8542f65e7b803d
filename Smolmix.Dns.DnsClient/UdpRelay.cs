using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Smolmix.Dns.DnsClient;

/// <summary>
/// The relay's UDP side: each datagram from loopback is answered on a task of its own, at most
/// <c>maxConcurrent</c> at a time (more are dropped and counted); the answer goes back to the sender.
/// </summary>
internal sealed class UdpRelay
{
    private readonly Socket _socket;
    private readonly RelayEngine _engine;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _slots;

    public UdpRelay(Socket socket, RelayEngine engine, ILogger logger, int maxConcurrent)
    {
        _socket = socket;
        _engine = engine;
        _logger = logger;
        _slots = new SemaphoreSlim(maxConcurrent, maxConcurrent);
        if (OperatingSystem.IsWindows())
        {
            // SIO_UDP_CONNRESET off: an ICMP "port unreachable" for an answer to a client that has gone
            // must not fail the next receive.
            const int SioUdpConnReset = -1744830452;
            _socket.IOControl(SioUdpConnReset, [0, 0, 0, 0], null);
        }
    }

    public async Task RunAsync(CancellationToken stopping)
    {
        byte[] buffer = new byte[65535];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                SocketReceiveFromResult received;
                try
                {
                    received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, stopping).ConfigureAwait(false);
                }
                catch (SocketException) when (!stopping.IsCancellationRequested)
                {
                    continue; // a reset or an oversized datagram: nothing to answer
                }

                if (received.RemoteEndPoint is not IPEndPoint from || !IPAddress.IsLoopback(from.Address))
                {
                    _engine.Refuse("a datagram not from loopback");
                    continue;
                }

                if (!_slots.Wait(0))
                {
                    _engine.Refuse("too many queries in flight");
                    continue;
                }

                byte[] query = buffer.AsSpan(0, received.ReceivedBytes).ToArray();
                _ = AnswerAsync(query, from, stopping);
            }
        }
        catch (Exception ex) when (stopping.IsCancellationRequested && ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
        catch (Exception ex)
        {
            RelayLog.LoopFailed(_logger, "UDP", ex);
        }
    }

    private async Task AnswerAsync(byte[] query, IPEndPoint from, CancellationToken stopping)
    {
        try
        {
            byte[]? answer = await _engine.AnswerAsync(query, overTcp: false, stopping).ConfigureAwait(false);
            if (answer is not null)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                await _socket.SendToAsync(answer, SocketFlags.None, from, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            RelayLog.Dropped(_logger, "the answer could not be sent: " + ex.GetType().Name);
        }
        finally
        {
            _slots.Release();
        }
    }
}
