using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Smolmix.Http.Tests.Support;

/// <summary>
/// A loopback HTTP/1.1 server that breaks off every response: it answers a request with headers announcing
/// <see cref="AnnouncedLength"/> bytes, sends <see cref="SentBeforeReset"/> of them, waits for <see cref="Reset"/> (at
/// most 30 s), and then resets the connection (linger 0 and close: a TCP RST, not a FIN).
/// </summary>
internal sealed class ResettingUpstream : IAsyncDisposable
{
    /// <summary>The Content-Length announced.</summary>
    public const int AnnouncedLength = 1024 * 1024;

    /// <summary>The bytes of body sent before the reset.</summary>
    public const int SentBeforeReset = 64 * 1024;

    private static readonly TimeSpan HoldLimit = TimeSpan.FromSeconds(30);

    private readonly System.Net.Sockets.TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly List<Task> _connections = [];
    private readonly TaskCompletionSource _reset = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _accepted;
    private int _resets;

    private ResettingUpstream(System.Net.Sockets.TcpListener listener)
    {
        _listener = listener;
        _accepting = AcceptAsync();
    }

    /// <summary>Where it listens (127.0.0.1).</summary>
    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>Connections accepted so far.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Connections reset so far.</summary>
    public int Resets => Volatile.Read(ref _resets);

    /// <summary>Starts listening on a free loopback port.</summary>
    public static ResettingUpstream Start()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return new ResettingUpstream(listener);
    }

    /// <summary>Lets the responses held so far (and the next ones) be reset.</summary>
    public void Reset() => _reset.TrySetResult();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Task[] all;
        lock (_connections)
        {
            all = [_accepting, .. _connections];
        }

        await Task.WhenAll(all).WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                Socket socket = await _listener.AcceptSocketAsync(_stop.Token);
                Interlocked.Increment(ref _accepted);
                lock (_connections)
                {
                    _connections.Add(ServeAsync(socket));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        try
        {
            byte[] buffer = new byte[8192];
            int have = 0;
            using var hold = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            hold.CancelAfter(HoldLimit);
            while (!Encoding.ASCII.GetString(buffer, 0, have).Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                int n = await socket.ReceiveAsync(buffer.AsMemory(have), SocketFlags.None, hold.Token);
                if (n == 0 || (have += n) == buffer.Length)
                {
                    return;
                }
            }

            byte[] head = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {AnnouncedLength}\r\n\r\n");
            await socket.SendAsync(head, SocketFlags.None, hold.Token);
            await socket.SendAsync(new byte[SentBeforeReset], SocketFlags.None, hold.Token);
            await _reset.Task.WaitAsync(hold.Token);
            socket.LingerState = new LingerOption(true, 0);
            Interlocked.Increment(ref _resets);
        }
        catch (OperationCanceledException)
        {
        }
        catch (SocketException)
        {
        }
        finally
        {
            socket.Dispose();
        }
    }
}
