using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Smolmix.Devnet.Egress;

/// <summary>
/// Relays one TCP connection between the NAT stack (the client's side) and a host socket (the
/// destination's side): bytes both ways, a FIN on either side becomes a half-close on the other,
/// and a reset on either side resets the other.
/// </summary>
internal static class TcpRelay
{
    private const int BufferSize = 64 * 1024;

    /// <summary>Pumps until both directions finish or one side fails; then closes both.</summary>
    public static async Task RunAsync(TcpStream inner, Socket host, ILogger logger, CancellationToken cancellationToken)
    {
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task up = PumpUpAsync(inner, host, failed);
        Task down = PumpDownAsync(inner, host, failed);
        try
        {
            await Task.WhenAll(up, down).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            logger.LogDebug(ex, "A relayed TCP connection ended with an error.");
        }
        finally
        {
            if (failed.IsCancellationRequested)
            {
                // Reset both sides: the client sees a RST, the host a RST (linger 0).
                inner.Abort();
                try
                {
                    host.LingerState = new LingerOption(true, 0);
                }
                catch (SocketException)
                {
                }
            }

            await inner.DisposeAsync().ConfigureAwait(false);
            host.Dispose();
        }
    }

    private static async Task PumpUpAsync(TcpStream inner, Socket host, CancellationTokenSource failed)
    {
        byte[] buffer = new byte[BufferSize];
        try
        {
            while (true)
            {
                int n = await inner.ReadAsync(buffer, failed.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    host.Shutdown(SocketShutdown.Send);
                    return;
                }

                await host.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, failed.Token).ConfigureAwait(false);
            }
        }
        catch
        {
            await failed.CancelAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task PumpDownAsync(TcpStream inner, Socket host, CancellationTokenSource failed)
    {
        byte[] buffer = new byte[BufferSize];
        try
        {
            while (true)
            {
                int n = await host.ReceiveAsync(buffer, SocketFlags.None, failed.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    inner.ShutdownWrite();
                    return;
                }

                await inner.WriteAsync(buffer.AsMemory(0, n), failed.Token).ConfigureAwait(false);
            }
        }
        catch
        {
            await failed.CancelAsync().ConfigureAwait(false);
            throw;
        }
    }
}
