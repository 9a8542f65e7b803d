using System.Net;
using System.Security.Cryptography;
using Smolmix.Devices;
using Smolmix.Tcp;

namespace Smolmix.Simulation;

/// <summary>
/// Two stacks joined by a simulated, impaired path on virtual time: a one-way bulk TCP transfer
/// runs in a fraction of the simulated time, deterministically for a given seed.
/// </summary>
internal sealed class SimulatedPath
{
    public SimulatedPath(ImpairmentOptions? forward, ImpairmentOptions? reverse, StackOptions? options = null, int seed = 1)
    {
        Clock = new SimClock();
        var o = (options ?? new StackOptions()).Clone();
        o.TimeProvider = Clock;
        o.RandomSeed = seed;
        Forward = new SimLink(Clock, forward);
        Reverse = new SimLink(Clock, reverse);
        Client = new NetStack(Forward, o, IPAddress.Parse("10.0.0.2"), IPAddress.Parse("fc00::2"));
        var so = o.Clone();
        so.RandomSeed = seed + 1;
        Server = new NetStack(Reverse, so, IPAddress.Parse("10.0.0.1"), IPAddress.Parse("fc00::1"));
        Forward.Destination = Server;
        Reverse.Destination = Client;
    }

    public SimClock Clock { get; }
    public SimLink Forward { get; }
    public SimLink Reverse { get; }
    public NetStack Client { get; }
    public NetStack Server { get; }

    /// <summary>Result of a bulk transfer.</summary>
    public readonly record struct TransferResult(bool Completed, long Bytes, TimeSpan Elapsed, TimeSpan DataElapsed,
        bool HashMatches, TcpConnectionInfo SenderInfo, long Retransmits);

    /// <summary>
    /// Client connects to the server and sends <paramref name="bytes"/> of seeded random data; the server
    /// reads everything. Returns when the server has all bytes (and the FIN) or at <paramref name="limit"/>.
    /// </summary>
    public TransferResult RunTransfer(long bytes, TimeSpan limit, bool clientSends = true, bool useV6 = false, Action<TimeSpan, TcpConnection>? trace = null, TimeSpan? traceInterval = null)
    {
        var listener = Server.Listen(80);
        var target = new IPEndPoint(useV6 ? IPAddress.Parse("fc00::1") : IPAddress.Parse("10.0.0.1"), 80);
        var connectTask = Client.ConnectTcpAsync(target);
        TcpConnection? clientConn = null, serverConn = null;
        var data = new byte[64 * 1024];
        new Random(12345).NextBytes(data);
        using var sendHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var recvHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long sent = 0, received = 0;
        bool finSent = false;
        var rbuf = new byte[256 * 1024];
        TimeSpan dataStart = TimeSpan.Zero;
        bool done = false;
        TimeSpan nextTrace = TimeSpan.Zero;
        while (Clock.Now < limit && !done)
        {
            if (trace is not null && Clock.Now >= nextTrace)
            {
                var tc = clientSends ? clientConn : serverConn;
                if (tc is not null)
                {
                    trace(Clock.Now, tc);
                }
                nextTrace = Clock.Now + (traceInterval ?? TimeSpan.FromSeconds(1));
            }
            if (!Clock.RunNext())
            {
                break;
            }
            if (clientConn is null)
            {
                lock (Client.Sync)
                {
                    foreach (var c in ClientConnections())
                    {
                        if (c.IsSynchronized)
                        {
                            clientConn = c;
                            dataStart = Clock.Now;
                        }
                    }
                }
            }
            if (serverConn is null && listener is not null)
            {
                if (listener.TryAccept(out var accepted))
                {
                    serverConn = accepted.Connection;
                }
            }
            var (sender, senderStack, receiver, receiverStack) = clientSends
                ? (clientConn, Client, serverConn, Server)
                : (serverConn, Server, clientConn, Client);
            if (sender is not null)
            {
                lock (senderStack.Sync)
                {
                    while (sent < bytes && sender.SendSpace > 0)
                    {
                        int off = (int)(sent % data.Length);
                        int n = (int)Math.Min(Math.Min(data.Length - off, bytes - sent), sender.SendSpace);
                        int w = sender.Write(data.AsSpan(off, n));
                        sendHash.AppendData(data, off, w);
                        sent += w;
                        if (w == 0)
                        {
                            break;
                        }
                    }
                    if (sent == bytes && !finSent)
                    {
                        sender.ShutdownWrite();
                        finSent = true;
                    }
                }
            }
            if (receiver is not null)
            {
                lock (receiverStack.Sync)
                {
                    int n;
                    while ((n = receiver.Read(rbuf)) > 0)
                    {
                        recvHash.AppendData(rbuf, 0, n);
                        received += n;
                    }
                    if (receiver.ReceiveClosed && received == bytes)
                    {
                        done = true;
                    }
                }
            }
        }
        var senderConn = clientSends ? clientConn : serverConn;
        TcpConnectionInfo info = default;
        long retx = 0;
        if (senderConn is not null)
        {
            lock ((clientSends ? Client : Server).Sync)
            {
                info = senderConn.Info;
                retx = senderConn.RetransmittedSegments;
            }
        }
        _ = connectTask;
        bool match = done && sendHash.GetHashAndReset().AsSpan().SequenceEqual(recvHash.GetHashAndReset());
        return new TransferResult(done, received, Clock.Now, Clock.Now - dataStart, match, info, retx);
    }

    private IEnumerable<TcpConnection> ClientConnections() => Client.ConnectionsForTesting();
}
