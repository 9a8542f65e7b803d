using System.Net;
using System.Net.Sockets;

namespace Smolmix.Http;

/// <summary>
/// Connects to the first address that answers (RFC 8305 "Happy Eyeballs", with a delay sized for
/// mixnet round trips): attempts start one after another, each <c>delay</c> after the previous or
/// as soon as it fails; the first connection wins and the others are cancelled or closed.
/// </summary>
internal static class ConnectionAttempts
{
    /// <summary>Orders addresses for attempts: families alternate, starting with the first address's family; families the network cannot reach are left out.</summary>
    public static IPAddress[] Order(IReadOnlyList<IPAddress> addresses, bool hasIPv6)
    {
        IPAddress[] usable = addresses.Where(a => a.AddressFamily == AddressFamily.InterNetwork || (hasIPv6 && a.AddressFamily == AddressFamily.InterNetworkV6)).Distinct().ToArray();
        if (usable.Length == 0)
        {
            return [];
        }

        AddressFamily first = usable[0].AddressFamily;
        var a = new Queue<IPAddress>(usable.Where(x => x.AddressFamily == first));
        var b = new Queue<IPAddress>(usable.Where(x => x.AddressFamily != first));
        var ordered = new List<IPAddress>(usable.Length);
        while (a.Count + b.Count > 0)
        {
            if (a.Count > 0)
            {
                ordered.Add(a.Dequeue());
            }

            if (b.Count > 0)
            {
                ordered.Add(b.Dequeue());
            }
        }

        return [.. ordered];
    }

    private static Exception Failure(int count, List<Exception> errors)
    {
        if (errors.Count == 1)
        {
            return errors[0];
        }

        string message = $"None of the host's {count} addresses could be reached: {string.Join("; ", errors.Select(e => e.Message))}";
        return errors.OfType<SocketException>().FirstOrDefault() is SocketException first
            ? new SocketException((int)first.SocketErrorCode, message)
            : new IOException(message, errors[0]);
    }

    public static async Task<(TcpStream Stream, int Attempts)> ConnectFirstAsync(IVirtualNetwork network, IPAddress[] addresses, int port, TimeSpan delay, TimeProvider time, CancellationToken cancellationToken)
    {
        if (addresses.Length == 0)
        {
            throw new SocketException((int)SocketError.AddressFamilyNotSupported);
        }

        using var losers = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var running = new List<Task<TcpStream>>();
        var errors = new List<Exception>();
        int next = 0;
        try
        {
            while (true)
            {
                if (next < addresses.Length)
                {
                    running.Add(network.ConnectTcpAsync(new IPEndPoint(addresses[next++], port), losers.Token));
                }

                if (running.Count == 0)
                {
                    throw Failure(addresses.Length, errors);
                }

                // Wait for the first attempt to finish, or (while addresses remain) for the attempt delay.
                Task<Task<TcpStream>> first = Task.WhenAny(running);
                if (next < addresses.Length)
                {
                    using var delayCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    Task elapsed = Task.Delay(delay, time, delayCts.Token);
                    if (await Task.WhenAny(first, elapsed).ConfigureAwait(false) != first)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        continue; // the delay passed: start the next attempt alongside
                    }

                    await delayCts.CancelAsync().ConfigureAwait(false);
                }

                Task<TcpStream> any = await first.WaitAsync(cancellationToken).ConfigureAwait(false);
                running.Remove(any);
                if (any.IsCompletedSuccessfully)
                {
                    return (any.Result, next);
                }

                errors.Add(any.Exception?.InnerException ?? new SocketException((int)SocketError.OperationAborted));
            }
        }
        finally
        {
            if (running.Count > 0)
            {
                await losers.CancelAsync().ConfigureAwait(false);
                foreach (Task<TcpStream> t in running)
                {
                    _ = t.ContinueWith(static t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
                    _ = t.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                }
            }
        }
    }
}
