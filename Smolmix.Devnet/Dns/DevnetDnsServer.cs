using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Smolmix.Devnet.Dns;

/// <summary>
/// Serves a <see cref="DnsZone"/> over UDP and TCP (RFC 1035 §4.2, 2-byte length prefix, several
/// queries per connection as RFC 7766 allows) on host sockets. Every input is hostile: a datagram
/// or message that cannot be answered is counted and dropped or answered with FORMERR; TCP
/// connections are limited in number and closed when idle, and a connection that breaks the
/// framing is closed.
/// </summary>
/// <remarks>
/// With the userspace NAT it listens on 127.0.0.1 (UDP and TCP on the same ephemeral port, so one
/// <see cref="DevnetOptions.AddressMap"/>-style entry per resolver address covers both); with
/// kernel egress its sockets are bound at the resolver addresses inside the egress namespace.
/// </remarks>
internal sealed class DevnetDnsServer : IAsyncDisposable
{
    /// <summary>TCP connections served at once; more are closed at once (and counted as dropped).</summary>
    public const int MaxTcpConnections = 64;

    /// <summary>How long a TCP connection may wait for its next query (or its rest) before it is closed.</summary>
    public static readonly TimeSpan TcpIdleTimeout = TimeSpan.FromSeconds(10);

    private const int MaxMessage = 65535;

    private readonly DnsZone _zone;
    private readonly IReadOnlyList<Socket> _udp;
    private readonly IReadOnlyList<Socket> _tcp;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Task, bool> _tasks = new();
    private int _tcpActive;
    private long _answered;
    private long _nameErrors;
    private long _formatErrors;
    private long _truncated;
    private long _dropped;
    private long _tcpConnections;
    private int _disposed;

    private DevnetDnsServer(DnsZone zone, IReadOnlyList<Socket> udp, IReadOnlyList<Socket> tcp, TimeProvider time, ILogger logger)
    {
        _zone = zone;
        _udp = udp;
        _tcp = tcp;
        _time = time;
        _logger = logger;
    }

    /// <summary>The UDP endpoints served (with the NAT, one on 127.0.0.1; its TCP twin has the same port).</summary>
    public IReadOnlyList<IPEndPoint> EndPoints => _udp.Select(s => (IPEndPoint)s.LocalEndPoint!).ToArray();

    /// <summary>Starts a server on 127.0.0.1, UDP and TCP on one free port.</summary>
    public static DevnetDnsServer StartOnLoopback(DnsZone zone, TimeProvider time, ILogger logger)
    {
        (Socket udp, Socket tcp) = BindSamePort(IPAddress.Loopback);
        return Start(zone, [udp], [tcp], time, logger);
    }

    /// <summary>Binds UDP and TCP sockets at <paramref name="endPoint"/> (call inside the namespace they belong to).</summary>
    public static (Socket Udp, Socket Tcp) Bind(IPEndPoint endPoint)
    {
        var tcp = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        var udp = new Socket(endPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            tcp.Bind(endPoint);
            tcp.Listen(MaxTcpConnections);
            udp.Bind(endPoint);
            return (udp, tcp);
        }
        catch
        {
            tcp.Dispose();
            udp.Dispose();
            throw;
        }
    }

    /// <summary>Starts serving on already bound sockets (the server owns them from now on).</summary>
    public static DevnetDnsServer Start(DnsZone zone, IReadOnlyList<Socket> udp, IReadOnlyList<Socket> tcp, TimeProvider time, ILogger logger)
    {
        var server = new DevnetDnsServer(zone, udp, tcp, time, logger);
        foreach (Socket socket in udp)
        {
            server.Track(server.UdpLoopAsync(socket));
        }

        foreach (Socket listener in tcp)
        {
            server.Track(server.AcceptLoopAsync(listener));
        }

        return server;
    }

    /// <summary>A snapshot of the counters.</summary>
    public DevnetDnsCounters Snapshot() => new()
    {
        QueriesAnswered = Interlocked.Read(ref _answered),
        NameErrors = Interlocked.Read(ref _nameErrors),
        FormatErrors = Interlocked.Read(ref _formatErrors),
        TruncatedAnswers = Interlocked.Read(ref _truncated),
        Dropped = Interlocked.Read(ref _dropped),
        TcpConnections = Interlocked.Read(ref _tcpConnections),
    };

    /// <summary>Closes every socket and waits (bounded) for the loops.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (Socket socket in _udp.Concat(_tcp))
        {
            socket.Dispose();
        }

        try
        {
            await Task.WhenAll(_tasks.Keys).WaitAsync(TimeSpan.FromSeconds(5), _time).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            _logger.LogDebug(ex, "DNS server loops stopped.");
        }

        _stop.Dispose();
    }

    private static (Socket Udp, Socket Tcp) BindSamePort(IPAddress address)
    {
        for (int attempt = 0; ; attempt++)
        {
            var tcp = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                tcp.Bind(new IPEndPoint(address, 0));
                tcp.Listen(MaxTcpConnections);
                int port = ((IPEndPoint)tcp.LocalEndPoint!).Port;
                var udp = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                try
                {
                    udp.Bind(new IPEndPoint(address, port));
                    return (udp, tcp);
                }
                catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse && attempt < 50)
                {
                    udp.Dispose();
                    tcp.Dispose();
                }
            }
            catch
            {
                tcp.Dispose();
                throw;
            }
        }
    }

    private void Track(Task task)
    {
        _tasks.TryAdd(task, true);
        _ = task.ContinueWith(static (t, s) => ((ConcurrentDictionary<Task, bool>)s!).TryRemove(t, out _), _tasks, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Answers one message and counts the outcome; null when nothing is to be sent.</summary>
    private byte[]? Handle(ReadOnlySpan<byte> query, bool udp)
    {
        byte[]? answer = _zone.Respond(query, udp, out DnsOutcome outcome, out bool truncated);
        switch (outcome)
        {
            case DnsOutcome.Dropped:
                Interlocked.Increment(ref _dropped);
                return null;
            case DnsOutcome.NameError:
                Interlocked.Increment(ref _nameErrors);
                break;
            case DnsOutcome.FormatError:
                Interlocked.Increment(ref _formatErrors);
                break;
        }

        if (truncated)
        {
            Interlocked.Increment(ref _truncated);
        }

        Interlocked.Increment(ref _answered);
        return answer;
    }

    private async Task UdpLoopAsync(Socket socket)
    {
        await Task.Yield();
        var buffer = new byte[MaxMessage];
        EndPoint any = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        CancellationToken stop = _stop.Token;
        while (!stop.IsCancellationRequested)
        {
            SocketReceiveFromResult datagram;
            try
            {
                datagram = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, stop).ConfigureAwait(false);
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionRefused or SocketError.MessageSize)
            {
                Interlocked.Increment(ref _dropped);
                continue;
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            byte[]? answer = Handle(buffer.AsSpan(0, datagram.ReceivedBytes), udp: true);
            if (answer is null)
            {
                continue;
            }

            try
            {
                await socket.SendToAsync(answer, SocketFlags.None, datagram.RemoteEndPoint, stop).ConfigureAwait(false);
            }
            catch (SocketException ex)
            {
                _logger.LogDebug(ex, "A DNS answer to {Client} could not be sent.", datagram.RemoteEndPoint);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
        }
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        CancellationToken stop = _stop.Token;
        while (!stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(stop).ConfigureAwait(false);
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset)
            {
                continue;
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            if (Interlocked.Increment(ref _tcpActive) > MaxTcpConnections)
            {
                Interlocked.Decrement(ref _tcpActive);
                Interlocked.Increment(ref _dropped);
                client.Dispose();
                continue;
            }

            Interlocked.Increment(ref _tcpConnections);
            Track(ServeTcpAsync(client));
        }
    }

    private async Task ServeTcpAsync(Socket client)
    {
        using Socket socket = client;
        try
        {
            var prefix = new byte[2];
            var message = new byte[MaxMessage];
            while (true)
            {
                using var idle = new CancellationTokenSource(TcpIdleTimeout, _time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(idle.Token, _stop.Token);
                if (!await ReadExactlyAsync(socket, prefix, linked.Token).ConfigureAwait(false))
                {
                    return; // closed between queries: the normal end
                }

                int length = BinaryPrimitives.ReadUInt16BigEndian(prefix);
                if (!await ReadExactlyAsync(socket, message.AsMemory(0, length), linked.Token).ConfigureAwait(false))
                {
                    Interlocked.Increment(ref _dropped);
                    return;
                }

                byte[]? answer = Handle(message.AsSpan(0, length), udp: false);
                if (answer is null)
                {
                    // Unanswerable framing (shorter than a header, or a response): close, as servers do.
                    return;
                }

                var framed = new byte[answer.Length + 2];
                BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)answer.Length);
                answer.CopyTo(framed, 2);
                await socket.SendAsync(framed, SocketFlags.None, linked.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            if (!_stop.IsCancellationRequested)
            {
                Interlocked.Increment(ref _dropped); // idle too long
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            _logger.LogDebug(ex, "A DNS TCP connection ended.");
        }
        finally
        {
            Interlocked.Decrement(ref _tcpActive);
        }
    }

    /// <summary>Fills <paramref name="buffer"/>; false when the peer closed before it was full.</summary>
    private static async ValueTask<bool> ReadExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        int got = 0;
        while (got < buffer.Length)
        {
            int n = await socket.ReceiveAsync(buffer[got..], SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return false;
            }

            got += n;
        }

        return true;
    }
}
