using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using Smolmix.Nym;
using Smolmix.Tests.Clocks;

namespace Smolmix.Tests.Nym;

public sealed class NymClientConnectionTests
{
    private static readonly NymAddress Exit = NymAddress.Parse(Vectors.D1rr);

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task GetsAndCachesTheSelfAddress()
    {
        await using var server = new FakeNymClientServer();
        await using var connection = await NymClientConnection.ConnectAsync(server.Options());
        Assert.Equal(server.SelfAddress, await connection.GetSelfAddressAsync());
        Assert.Equal(server.SelfAddress, await connection.GetSelfAddressAsync());
        await server.NextRequestAsync<NymClientRequest.SelfAddress>();
        Assert.False(server.Requests.Reader.TryRead(out _));
        Assert.Equal(NymClientConnectionState.Connected, connection.State);
    }

    [Fact]
    public async Task ConcurrentSelfAddressCallsShareOneRequest()
    {
        await using var server = new FakeNymClientServer();
        await using var connection = await NymClientConnection.ConnectAsync(server.Options());
        NymAddress[] results = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => connection.GetSelfAddressAsync()));
        Assert.All(results, a => Assert.Equal(server.SelfAddress, a));
        await server.NextRequestAsync<NymClientRequest.SelfAddress>();
        Assert.False(server.Requests.Reader.TryRead(out _));
    }

    [Fact]
    public async Task SendsEachRequestKindAsBinaryFrames()
    {
        await using var server = new FakeNymClientServer();
        await using var connection = await NymClientConnection.ConnectAsync(server.Options());
        byte[] payload = Encoding.ASCII.GetBytes("foomp");
        var tag = SenderTag.FromBytes(Enumerable.Repeat((byte)8, 16).ToArray());

        await connection.SendAnonymousAsync(Exit, payload, replySurbs: 10);
        await connection.SendAsync(Exit, payload, connectionId: 0);
        await connection.ReplyAsync(tag, payload);
        await connection.CloseLaneAsync(7);

        Assert.Equal(new NymClientRequest.SendAnonymous(Exit, payload, 10, 0), await server.NextRequestAsync<NymClientRequest.SendAnonymous>());
        Assert.Equal(new NymClientRequest.Send(Exit, payload, 0), await server.NextRequestAsync<NymClientRequest.Send>());
        Assert.Equal(new NymClientRequest.Reply(tag, payload, 0), await server.NextRequestAsync<NymClientRequest.Reply>());
        Assert.Equal(new NymClientRequest.ClosedConnection(7), await server.NextRequestAsync<NymClientRequest.ClosedConnection>());
    }

    [Fact]
    public async Task DemultiplexesReceivedFromOtherResponses()
    {
        await using var server = new FakeNymClientServer();
        await using var connection = await NymClientConnection.ConnectAsync(server.Options());
        await server.WaitForConnectionsAsync(1);

        await server.PushAsync(new NymClientResponse.Received(null, new byte[] { 1 }));
        await server.PushAsync(new NymClientResponse.Error(NymClientErrorKind.UnknownRequest, "foomp message"));
        await server.PushAsync(new NymClientResponse.LaneQueueLength(42, 13));
        await server.PushRawAsync([0x7F, 1, 2]); // unknown tag: ignored
        await server.PushRawAsync(Encoding.UTF8.GetBytes("{\"type\":\"received\"}"), WebSocketMessageType.Text); // text: ignored
        var tag = SenderTag.FromBytes(Enumerable.Repeat((byte)42, 16).ToArray());
        await server.PushAsync(new NymClientResponse.Received(tag, new byte[] { 2, 3 }));

        NymClientResponse.Received first = await connection.Received.ReadAsync().AsTask().WaitAsync(Bound);
        NymClientResponse.Received second = await connection.Received.ReadAsync().AsTask().WaitAsync(Bound);
        Assert.Null(first.SenderTag);
        Assert.Equal(new byte[] { 1 }, first.Message.ToArray());
        Assert.Equal(tag, second.SenderTag);
        Assert.Equal(new byte[] { 2, 3 }, second.Message.ToArray());
        Assert.False(connection.Received.TryRead(out _));

        NymClientResponse.Error error = await connection.Errors.ReadAsync().AsTask().WaitAsync(Bound);
        Assert.Equal(NymClientErrorKind.UnknownRequest, error.Kind);
        Assert.True(connection.TryGetLastLaneQueueLength(42, out ulong queued));
        Assert.Equal(13UL, queued);
    }

    [Fact]
    public async Task LaneQueueLengthRoundTrip()
    {
        await using var server = new FakeNymClientServer { LaneQueueLength = 5 };
        await using var connection = await NymClientConnection.ConnectAsync(server.Options());
        Assert.Equal(5UL, await connection.GetLaneQueueLengthAsync(3));
        server.LaneQueueLength = 9;
        await connection.SendAnonymousAsync(Exit, new byte[] { 1 }, 1, connectionId: 3);
        await server.NextRequestAsync<NymClientRequest.GetLaneQueueLength>();
        await server.NextRequestAsync<NymClientRequest.SendAnonymous>();
        Assert.Equal(9UL, await connection.GetLaneQueueLengthAsync(3));
    }

    [Fact]
    public async Task ReceivesMessagesLargerThanOneChunk()
    {
        await using var server = new FakeNymClientServer();
        await using var connection = await NymClientConnection.ConnectAsync(server.Options());
        await server.WaitForConnectionsAsync(1);
        byte[] big = new byte[300_000];
        Random.Shared.NextBytes(big);
        await server.PushAsync(new NymClientResponse.Received(null, big));
        NymClientResponse.Received received = await connection.Received.ReadAsync().AsTask().WaitAsync(Bound);
        Assert.Equal(big, received.Message.ToArray());
    }

    [Fact]
    public async Task DiscardsMessagesOverTheSizeLimit()
    {
        await using var server = new FakeNymClientServer();
        await using var connection = await NymClientConnection.ConnectAsync(server.Options() with { MaxMessageSize = 1000 });
        await server.WaitForConnectionsAsync(1);
        await server.PushAsync(new NymClientResponse.Received(null, new byte[5000]));
        await server.PushAsync(new NymClientResponse.Received(null, new byte[10]));
        NymClientResponse.Received received = await connection.Received.ReadAsync().AsTask().WaitAsync(Bound);
        Assert.Equal(10, received.Message.Length);
    }

    [Fact]
    public async Task ReconnectsWhenTheWebSocketDrops()
    {
        await using var server = new FakeNymClientServer();
        await using var connection = await NymClientConnection.ConnectAsync(server.Options());
        await server.WaitForConnectionsAsync(1);
        server.DropConnection();
        await server.WaitForConnectionsAsync(2);

        await connection.SendAnonymousAsync(Exit, new byte[] { 9 }, 1).AsTask().WaitAsync(Bound);
        Assert.Equal(new byte[] { 9 }, (await server.NextRequestAsync<NymClientRequest.SendAnonymous>()).Message.ToArray());
        await server.PushAsync(new NymClientResponse.Received(null, new byte[] { 4 }));
        Assert.Equal(new byte[] { 4 }, (await connection.Received.ReadAsync().AsTask().WaitAsync(Bound)).Message.ToArray());
        Assert.Equal(1, connection.ReconnectCount);
        Assert.Equal(NymClientConnectionState.Connected, connection.State);
        Assert.Equal(server.SelfAddress, await connection.GetSelfAddressAsync());
    }

    [Fact]
    public async Task SendsWaitForReconnection()
    {
        await using var server = new FakeNymClientServer { RejectConnections = false };
        await using var connection = await NymClientConnection.ConnectAsync(server.Options(TimeSpan.FromMilliseconds(50)));
        await server.WaitForConnectionsAsync(1);
        server.RejectConnections = true;
        server.DropConnection();
        await WaitUntil(() => connection.State == NymClientConnectionState.Reconnecting);

        ValueTask send = connection.SendAnonymousAsync(Exit, new byte[] { 5 }, 1);
        await Task.Delay(100);
        Assert.False(send.IsCompleted);
        server.RejectConnections = false;
        await send.AsTask().WaitAsync(Bound);
        Assert.Equal(new byte[] { 5 }, (await server.NextRequestAsync<NymClientRequest.SendAnonymous>()).Message.ToArray());
    }

    [Fact]
    public async Task SendWaitingForReconnectionHonoursCancellation()
    {
        await using var server = new FakeNymClientServer();
        await using var connection = await NymClientConnection.ConnectAsync(server.Options());
        await server.WaitForConnectionsAsync(1);
        server.RejectConnections = true;
        server.DropConnection();
        await WaitUntil(() => connection.State == NymClientConnectionState.Reconnecting);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connection.SendAnonymousAsync(Exit, new byte[] { 1 }, 1, 0, cts.Token).AsTask());
    }

    [Fact]
    public async Task GivesUpAfterTheConfiguredAttempts()
    {
        await using var server = new FakeNymClientServer();
        await using var connection = await NymClientConnection.ConnectAsync(server.Options() with { MaxReconnectAttempts = 3 });
        await server.WaitForConnectionsAsync(1);
        server.RejectConnections = true;
        server.DropConnection();

        await Assert.ThrowsAsync<IOException>(async () =>
        {
            await foreach (NymClientResponse.Received unused in connection.Received.ReadAllAsync().WithCancellation(new CancellationTokenSource(Bound).Token))
            {
            }
        });
        Assert.Equal(NymClientConnectionState.Failed, connection.State);
        await Assert.ThrowsAsync<IOException>(() => connection.SendAnonymousAsync(Exit, new byte[] { 1 }, 1).AsTask());
    }

    [Fact]
    public async Task ConnectTimesOutOnTheTimeProvider()
    {
        var time = new WatchedTimeProvider();
        var options = new NymClientConnectionOptions
        {
            ConnectTimeout = TimeSpan.FromSeconds(5),
            WebSocketFactory = async (_, ct) =>
            {
                await Task.Delay(Timeout.Infinite, ct);
                throw new InvalidOperationException();
            },
        };
        Task<NymClientConnection> connect = NymClientConnection.ConnectAsync(options, time);
        await time.WaitForArmedTimerAsync(TimeSpan.FromSeconds(5), Bound); // the connect timeout, armed on the fake clock
        Assert.False(connect.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(5));
        await Assert.ThrowsAsync<TimeoutException>(() => connect.WaitAsync(Bound));
    }

    [Fact]
    public async Task ConnectFailsWhenNothingListens()
    {
        var options = new NymClientConnectionOptions { Endpoint = new Uri("ws://127.0.0.1:1/") };
        await Assert.ThrowsAnyAsync<Exception>(() => NymClientConnection.ConnectAsync(options).WaitAsync(Bound));
    }

    [Fact]
    public async Task SelfAddressTimesOutOnTheTimeProvider()
    {
        var time = new FakeTimeProvider();
        await using var server = new FakeNymClientServer { AnswerSelfAddress = false };
        await using var connection = await NymClientConnection.ConnectAsync(server.Options() with { RequestTimeout = TimeSpan.FromSeconds(3) }, time);
        Task<NymAddress> request = connection.GetSelfAddressAsync();
        await server.NextRequestAsync<NymClientRequest.SelfAddress>();
        time.Advance(TimeSpan.FromSeconds(3));
        await Assert.ThrowsAsync<TimeoutException>(() => request.WaitAsync(Bound));

        server.AnswerSelfAddress = true;
        Assert.Equal(server.SelfAddress, await connection.GetSelfAddressAsync().WaitAsync(Bound));
    }

    [Fact]
    public async Task DisposeCompletesTheStreamsAndRejectsFurtherUse()
    {
        await using var server = new FakeNymClientServer();
        var connection = await NymClientConnection.ConnectAsync(server.Options());
        await connection.DisposeAsync();
        await connection.DisposeAsync();
        Assert.Equal(NymClientConnectionState.Disposed, connection.State);
        await connection.Received.Completion.WaitAsync(Bound);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => connection.SendAnonymousAsync(Exit, new byte[] { 1 }, 1).AsTask());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => connection.GetSelfAddressAsync());
    }

    [Fact]
    public void ReconnectBackoffDoublesAndIsCapped()
    {
        TimeSpan initial = TimeSpan.FromMilliseconds(200);
        TimeSpan max = TimeSpan.FromSeconds(10);
        Assert.Equal(TimeSpan.FromMilliseconds(200), NymClientConnection.GetReconnectDelay(0, initial, max));
        Assert.Equal(TimeSpan.FromMilliseconds(400), NymClientConnection.GetReconnectDelay(1, initial, max));
        Assert.Equal(TimeSpan.FromMilliseconds(6400), NymClientConnection.GetReconnectDelay(5, initial, max));
        Assert.Equal(max, NymClientConnection.GetReconnectDelay(6, initial, max));
        Assert.Equal(max, NymClientConnection.GetReconnectDelay(int.MaxValue, initial, max));
    }

    [Fact]
    public async Task ReconnectBackoffRunsOnTheTimeProvider()
    {
        var time = new WatchedTimeProvider();
        await using var server = new FakeNymClientServer();
        var options = server.Options() with { ReconnectInitialDelay = TimeSpan.FromSeconds(30), ReconnectMaxDelay = TimeSpan.FromSeconds(60) };
        await using var connection = await NymClientConnection.ConnectAsync(options, time);
        await server.WaitForConnectionsAsync(1);
        await connection.GetSelfAddressAsync(); // a well-formed answer: a healthy socket, so the backoff starts at its initial delay
        server.DropConnection();
        await WaitUntil(() => connection.State == NymClientConnectionState.Reconnecting);
        await time.WaitForArmedTimerAsync(TimeSpan.FromSeconds(30), Bound); // the backoff delay, on the fake clock
        Assert.Equal(1, server.ConnectionCount);
        time.Advance(TimeSpan.FromSeconds(30));
        await server.WaitForConnectionsAsync(2);
        await WaitUntil(() => connection.State == NymClientConnectionState.Connected);
    }

    [Fact]
    public async Task ASocketThatNeverCarriesAWellFormedMessageDoesNotResetTheBackoff()
    {
        var time = new FakeTimeProvider();
        await using var server = new FakeNymClientServer { SendGarbageAfterUpgrade = true };
        var options = server.Options() with { ReconnectInitialDelay = TimeSpan.FromSeconds(1), ReconnectMaxDelay = TimeSpan.FromSeconds(60) };
        await using var connection = await NymClientConnection.ConnectAsync(options, time);
        var upgradesAt = new List<TimeSpan>();
        DateTimeOffset start = time.GetUtcNow();
        int seen = server.Upgrades;
        for (int step = 0; step < 1200 && upgradesAt.Count < 5; step++)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(2);
            if (server.Upgrades > seen)
            {
                seen = server.Upgrades;
                upgradesAt.Add(time.GetUtcNow() - start);
            }
        }

        // Each upgrade is followed by garbage: the waits double (2 s, 4 s, 8 s, ...) instead of restarting at 1 s.
        Assert.True(upgradesAt.Count >= 4, $"upgrades at {string.Join(", ", upgradesAt)}");
        for (int i = 2; i < upgradesAt.Count; i++)
        {
            Assert.True(upgradesAt[i] - upgradesAt[i - 1] > upgradesAt[i - 1] - upgradesAt[i - 2], $"upgrades at {string.Join(", ", upgradesAt)}");
        }

        Assert.False(connection.HasSpokenProtocol);
    }

    internal static async Task WaitUntil(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(Bound);
        while (!condition())
        {
            await Task.Delay(5, timeout.Token);
        }
    }
}
