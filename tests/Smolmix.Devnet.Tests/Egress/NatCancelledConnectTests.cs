using System.Net;
using System.Net.Sockets;
using Smolmix.Devnet.Tests.Support;
using Xunit.Abstractions;

namespace Smolmix.Devnet.Tests.Egress;

/// <summary>
/// Connects a client cancels while the handshake is under way (as <c>SocketsHttpHandler</c> does
/// routinely) must not leave connections open at the host behind the userspace NAT.
/// </summary>
public sealed class NatCancelledConnectTests(ITestOutputHelper output)
{
    private static readonly IPAddress PublicV4 = IPAddress.Parse("192.0.2.10");

    [Fact]
    public async Task CancelledConnects_LeaveNoHostConnectionOpen()
    {
        const int Attempts = 100;
        await using var host = new CountingHost();
        await using Devnet devnet = await TestDevnet.StartAsync(DevnetPreset.Instant, o => o.AddressMap[new IPEndPoint(PublicV4, 80)] = host.EndPoint);
        await using TunnelClient client = await TunnelClient.ConnectAsync(devnet);
        using var overall = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        int cancelled = 0;
        int completed = 0;
        for (int i = 0; i < Attempts; i++)
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(overall.Token);
            Task<TcpStream> connect = client.Stack.ConnectTcpAsync(new IPEndPoint(PublicV4, 80), TimeSpan.FromSeconds(10), cts.Token);

            // Cancel at different points of the handshake: at once, after a yield, after a short wait.
            switch (i % 3)
            {
                case 1:
                    await Task.Yield();
                    break;
                case 2:
                    await Task.Delay(1, overall.Token);
                    break;
            }

            await cts.CancelAsync();
            try
            {
                await using TcpStream stream = await connect;
                completed++;
            }
            catch (OperationCanceledException)
            {
                cancelled++;
            }
        }

        // Every SYN that reached the exit made (or tried) a host connection; give the last ones time to land.
        await TestDevnet.EventuallyAsync(() => host.Open == 0, $"the host's connections to close ({host.Open} open of {host.Accepted} accepted)", TimeSpan.FromSeconds(20));
        var nat = (Smolmix.Devnet.Egress.UserspaceNatEgress)devnet.Egress;
        Assert.Equal(0, nat.PendingHandshakes);
        output.WriteLine($"{nat.AbandonedHandshakes} handshakes abandoned at the NAT; {cancelled} cancelled, {completed} completed before the cancel; host accepted {host.Accepted}, at most {host.MaxOpen} open at once, {host.Open} open at the end");
        Assert.True(cancelled > 0, "No connect was cancelled; the test did not exercise the cancel path.");
        Assert.True(host.Accepted > 0, "No host connection was made; the test did not reach the NAT.");

        // The stack still connects to the same host afterwards.
        await using (TcpStream tcp = await client.Stack.ConnectTcpAsync(new IPEndPoint(PublicV4, 80), TimeSpan.FromSeconds(10), overall.Token))
        {
            await TestDevnet.EventuallyAsync(() => host.Open == 1, "the final connection at the host");
        }

        await TestDevnet.EventuallyAsync(() => host.Open == 0, "the final connection to close");
    }

    [Fact]
    public async Task HandshakesNeverCompleted_AreClosedAtTheHostAfterTheConnectTimeout()
    {
        const int Syns = 10;
        await using var host = new CountingHost();
        await using Devnet devnet = await TestDevnet.StartAsync(DevnetPreset.Instant, o =>
        {
            o.AddressMap[new IPEndPoint(PublicV4, 80)] = host.EndPoint;
            o.HostConnectTimeout = TimeSpan.FromSeconds(1);
        });
        await using IprProbe probe = await IprProbe.ConnectAsync(devnet);
        Nym.IprConnectSuccess connected = await probe.ConnectAsync();

        // SYNs the client never follows up: no ACK, no RST, whatever the stack answers.
        byte[] bundle = [.. Enumerable.Range(0, Syns).SelectMany(i => Nym.PacketBundle.EncodeOne(TestPackets.TcpSyn(connected.Ipv4, PublicV4, (ushort)(40000 + i), 80)))];
        await probe.SendFramedAsync(new Nym.IprDataRequest(Nym.IprVersion.V9, bundle).ToArray(), 1);
        await TestDevnet.EventuallyAsync(() => host.Accepted == Syns, $"{Syns} host connections ({host.Accepted} so far)");
        await TestDevnet.EventuallyAsync(() => host.Open == 0, $"the host's connections to close ({host.Open} open)", TimeSpan.FromSeconds(10));
        var nat = (Smolmix.Devnet.Egress.UserspaceNatEgress)devnet.Egress;
        Assert.Equal(Syns, nat.AbandonedHandshakes);
        Assert.Equal(0, nat.PendingHandshakes);
    }

    /// <summary>A loopback TCP server that counts the connections open at it.</summary>
    private sealed class CountingHost : IAsyncDisposable
    {
        private readonly Socket _listener = HostServices.CreateTcp(IPAddress.Loopback);
        private readonly CancellationTokenSource _stop = new();
        private readonly List<Task> _tasks = [];
        private readonly Lock _gate = new();
        private int _open;
        private int _accepted;
        private int _maxOpen;

        public CountingHost()
        {
            _tasks.Add(AcceptLoopAsync());
        }

        public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

        public int Open => Volatile.Read(ref _open);

        public int Accepted => Volatile.Read(ref _accepted);

        public int MaxOpen => Volatile.Read(ref _maxOpen);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Dispose();
            Task[] tasks;
            lock (_gate)
            {
                tasks = [.. _tasks];
            }

            try
            {
                await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException or TimeoutException)
            {
            }

            _stop.Dispose();
        }

        private async Task AcceptLoopAsync()
        {
            try
            {
                while (true)
                {
                    Socket peer = await _listener.AcceptAsync(_stop.Token);
                    Interlocked.Increment(ref _accepted);
                    int open = Interlocked.Increment(ref _open);
                    int max;
                    while (open > (max = Volatile.Read(ref _maxOpen)) && Interlocked.CompareExchange(ref _maxOpen, open, max) != max)
                    {
                    }

                    lock (_gate)
                    {
                        _tasks.Add(HoldAsync(peer));
                    }
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        }

        /// <summary>Reads until the peer closes or resets, then counts the connection closed.</summary>
        private async Task HoldAsync(Socket peer)
        {
            var buffer = new byte[4096];
            try
            {
                while (await peer.ReceiveAsync(buffer, SocketFlags.None, _stop.Token) > 0)
                {
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
            finally
            {
                Interlocked.Decrement(ref _open);
                peer.Dispose();
            }
        }
    }
}
