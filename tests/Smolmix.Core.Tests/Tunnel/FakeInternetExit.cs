using System.Collections.Concurrent;
using System.Net;
using Smolmix.Bridge;
using Smolmix.Devices;
using Smolmix.Nym;

namespace Smolmix.Tests.Tunnel;

/// <summary>
/// An IP packet router that really routes: behaves per the spec (LP framing rule, unknown
/// versions dropped silently, inline replies on seq 0 and data on seq 1, 2, … of the connect
/// stream, v10 MTU, a stream connect allocates new addresses, a v8 reconnect keeps them, packets
/// from an unknown source dropped, clients dropped after 60 s without data packets — checked
/// every 10 s, pings do not count) and forwards the client's packets into its own "internet": a
/// <see cref="NetStack"/> at 10.0.0.1 whose any-address listeners and sockets play the servers.
/// Return traffic is bundled up to 1500 bytes as the exit does. It also keeps the books on reply
/// SURBs (received minus reply packets) and records the size of every uplink IP packet.
/// </summary>
internal sealed class FakeInternetExit : IAsyncDisposable
{
    public static readonly TimeSpan InactivityTimeout = TimeSpan.FromSeconds(60);

    private readonly FakeMixnet _net;
    private readonly IPacketDevice _exitEnd;
    private readonly Task _downlink;
    private readonly ITimer _inactivityTimer;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private Client? _client;
    private int _allocations;
    private long _surbStock;
    private long _surbsReceived;
    private long _replyPackets;
    private long _starvedReplies;
    private volatile bool _alive = true;

    public FakeInternetExit(FakeMixnet net, int index, byte[] versions)
    {
        _net = net;
        Index = index;
        Versions = [.. versions];
        (_exitEnd, IPacketDevice internetEnd) = InMemoryPacketLink.CreatePair(mtu: 9000, capacity: 8192);
        Internet = NetStack.Start(internetEnd, IPAddress.Parse("10.0.0.1"), IPAddress.Parse("fc00::1"), new StackOptions { TimeProvider = net.Time, Mtu = 1500 });
        _downlink = Task.Run(DownlinkAsync);
        _inactivityTimer = net.Time.CreateTimer(_ => CheckInactivity(), null, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10));
    }

    public int Index { get; }

    public NymAddress Address { get; } = TestAddresses.Random();

    /// <summary>The exit's internet: listen with anyAddress to play servers at any address.</summary>
    public NetStack Internet { get; }

    public HashSet<byte> Versions { get; }

    public ushort Mtu { get; set; } = 1500;

    /// <summary>Pause after each data reply, to pace the downlink like a mixnet client's sending rate (zero: as fast as possible).</summary>
    public TimeSpan ReplyInterval { get; set; }

    public bool Alive => _alive;

    public IPAddress? ClientIpv4
    {
        get
        {
            lock (_gate)
            {
                return _client?.Ipv4;
            }
        }
    }

    public byte? SessionVersion
    {
        get
        {
            lock (_gate)
            {
                return _client?.Version;
            }
        }
    }

    public int Connects { get; private set; }

    public int Disconnects { get; private set; }

    public int InactivityDrops { get; private set; }

    /// <summary>The longest time between two data packets from the client (refreshing its activity).</summary>
    public TimeSpan MaxDataGap { get; private set; }

    public long UnknownSourceDrops;

    public long SurbsReceived => Interlocked.Read(ref _surbsReceived);

    public long ReplyPackets => Interlocked.Read(ref _replyPackets);

    /// <summary>Reply packets the exit had no SURB for (a real exit would have to ask nym-client for more first).</summary>
    public long StarvedReplies => Interlocked.Read(ref _starvedReplies);

    /// <summary>The length of every IP packet the client sent (in arrival order).</summary>
    public ConcurrentQueue<int> UplinkPackets { get; } = new();

    /// <summary>The node goes down: it stops answering and forgets its client.</summary>
    public void Kill()
    {
        _alive = false;
        lock (_gate)
        {
            _client = null;
        }
    }

    /// <summary>Ends the client's session from the exit's side (an UnrequestedDisconnect, as later IPRs may send).</summary>
    public async Task DisconnectClientAsync()
    {
        Client? client;
        lock (_gate)
        {
            client = _client;
            _client = null;
        }

        if (client is not null)
        {
            await ReplyAsync(new IprUnrequestedDisconnect(client.Version, IprUnrequestedDisconnectReason.ClientMixnetTrafficTimeout, null), client.Stream, 0);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _alive = false;
        await _inactivityTimer.DisposeAsync();
        await _stop.CancelAsync();
        await Internet.DisposeAsync();
        await _exitEnd.DisposeAsync();
        await _downlink.WaitAsync(TimeSpan.FromSeconds(5));
    }

    public async Task HandleAsync(NymClientRequest.SendAnonymous send)
    {
        if (!_alive)
        {
            return;
        }

        Interlocked.Add(ref _surbsReceived, send.ReplySurbs);
        Interlocked.Add(ref _surbStock, send.ReplySurbs);
        if (LpFrame.TryDecode(send.Message, out LpFrame frame) && frame.Payload.IsEmpty)
        {
            return;
        }

        IprEnvelope<IprRequest> envelope;
        try
        {
            if (!IprMessageReader.TryReadRequest(send.Message, out envelope))
            {
                return;
            }
        }
        catch (NymProtocolException)
        {
            return;
        }

        IprRequest message = envelope.Message;
        if (!Versions.Contains(message.Version))
        {
            return;
        }

        switch (message)
        {
            case IprConnectRequest connect:
                Client client;
                lock (_gate)
                {
                    Connects++;
                    if (_client is { } existing && envelope.StreamId is null && existing.Stream is null)
                    {
                        client = existing with { Version = connect.Version, NextSequence = 1, LastActivity = _net.Time.GetTimestamp() };
                    }
                    else
                    {
                        int n = ++_allocations + 1;
                        client = new Client(connect.Version, envelope.StreamId,
                            new IPAddress([10, 0, (byte)Index, (byte)n]),
                            IPAddress.Parse($"fc00::{Index:x}:{n:x}"),
                            1,
                            _net.Time.GetTimestamp());
                    }

                    _client = client;
                }

                await ReplyAsync(new IprConnectSuccess(connect.Version, connect.RequestId, client.Ipv4, client.Ipv6, connect.Version >= IprVersion.V10 ? Mtu : null), envelope.StreamId, 0);
                break;
            case IprDataRequest data:
                var reader = new PacketBundleReader(data.Bundle);
                while (reader.TryReadNext(out ReadOnlyMemory<byte> packet))
                {
                    IPAddress? source = Source(packet.Span);
                    lock (_gate)
                    {
                        if (_client is null || source is null || !(source.Equals(_client.Ipv4) || source.Equals(_client.Ipv6)))
                        {
                            Interlocked.Increment(ref UnknownSourceDrops);
                            continue;
                        }

                        long now = _net.Time.GetTimestamp();
                        TimeSpan gap = _net.Time.GetElapsedTime(_client.LastActivity, now);
                        MaxDataGap = gap > MaxDataGap ? gap : MaxDataGap;
                        _client = _client with { LastActivity = now };
                    }

                    UplinkPackets.Enqueue(packet.Length);
                    try
                    {
                        await _exitEnd.WriteAsync(packet, _stop.Token);
                    }
                    catch (Exception ex) when (ex is ObjectDisposedException or OperationCanceledException or ArgumentException)
                    {
                    }
                }

                break;
            case IprPingRequest ping:
                await ReplyAsync(new IprPongResponse(ping.Version, ping.RequestId), envelope.StreamId, 0);
                break;
            case IprHealthRequest health:
                await ReplyAsync(new IprHealthResponse(health.Version, health.RequestId, Smolmix.Tests.Nym.FakeIprExit.BuildInfo, null), envelope.StreamId, 0);
                break;
            case IprDisconnectRequest disconnect:
                lock (_gate)
                {
                    Disconnects++;
                    _client = null;
                }

                await ReplyAsync(new IprDisconnectResponse(disconnect.Version, disconnect.RequestId, null, null), envelope.StreamId, 0);
                break;
        }
    }

    private static IPAddress? Source(ReadOnlySpan<byte> packet) => packet.Length switch
    {
        >= 20 when packet[0] >> 4 == 4 => new IPAddress(packet.Slice(12, 4)),
        >= 40 when packet[0] >> 4 == 6 => new IPAddress(packet.Slice(8, 16)),
        _ => null,
    };

    private static IPAddress? Destination(ReadOnlySpan<byte> packet) => packet.Length switch
    {
        >= 20 when packet[0] >> 4 == 4 => new IPAddress(packet.Slice(16, 4)),
        >= 40 when packet[0] >> 4 == 6 => new IPAddress(packet.Slice(24, 16)),
        _ => null,
    };

    private async Task ReplyAsync(IprResponse response, ulong? stream, uint sequence)
    {
        byte[] message = IprMessageReader.Frame(response.ToArray(), stream, sequence);
        int packets = SphinxEstimate.ReplyPackets(message.Length);
        Interlocked.Add(ref _replyPackets, packets);
        long stock = Interlocked.Add(ref _surbStock, -packets);
        if (stock < 0)
        {
            Interlocked.Add(ref _starvedReplies, Math.Min(packets, -stock));
            Interlocked.Exchange(ref _surbStock, 0);
        }

        try
        {
            await _net.Server.PushAsync(new NymClientResponse.Received(null, message));
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.Net.WebSockets.WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    private async Task DownlinkAsync()
    {
        var encoder = new PacketBundleEncoder(PacketBundle.DefaultMaxBundleSize);
        var buffer = new byte[9000];
        try
        {
            while (true)
            {
                ValueTask<int> read = _exitEnd.ReadAsync(buffer, _stop.Token);
                if (!read.IsCompleted && encoder.Flush() is { } pending)
                {
                    await SendBundleAsync(pending);
                }

                int n = await read;
                if (n == 0)
                {
                    return;
                }

                IPAddress? destination = Destination(buffer.AsSpan(0, n));
                lock (_gate)
                {
                    if (!_alive || _client is null || destination is null || !(destination.Equals(_client.Ipv4) || destination.Equals(_client.Ipv6)))
                    {
                        continue;
                    }
                }

                if (encoder.Add(buffer.AsSpan(0, n)) is { } full)
                {
                    await SendBundleAsync(full);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private async Task SendBundleAsync(byte[] bundle)
    {
        byte version;
        ulong? stream;
        uint sequence;
        lock (_gate)
        {
            if (!_alive || _client is not { } client)
            {
                return;
            }

            version = client.Version;
            stream = client.Stream;
            sequence = client.NextSequence;
            _client = client with { NextSequence = sequence == uint.MaxValue ? 1 : sequence + 1 };
        }

        await ReplyAsync(new IprDataResponse(version, bundle), stream, sequence);
        if (ReplyInterval > TimeSpan.Zero)
        {
            await Task.Delay(ReplyInterval, _net.Time, _stop.Token);
        }
    }

    private void CheckInactivity()
    {
        lock (_gate)
        {
            if (_client is { } client && _net.Time.GetElapsedTime(client.LastActivity) > InactivityTimeout)
            {
                _client = null;
                InactivityDrops++;
            }
        }
    }

    private sealed record Client(byte Version, ulong? Stream, IPAddress Ipv4, IPAddress Ipv6, uint NextSequence, long LastActivity);
}
