using System.Net;
using Microsoft.Extensions.Time.Testing;
using Smolmix.Nym;

namespace Smolmix.Tests.Nym;

public sealed class IprSessionTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static readonly IprSessionOptions V9Only = new() { Versions = [IprVersion.V9] };

    [Fact]
    public async Task ConnectsWithV10AndLearnsAddressesAndMtu()
    {
        await using var server = new FakeNymClientServer();
        var exit = new FakeIprExit(server, 8, 9, 10) { Mtu = 1500 };
        await using var connection = await NymClientConnection.ConnectAsync(server.Options());
        await using IprSession session = await IprSession.ConnectAsync(connection, exit.Address).WaitAsync(Bound);

        Assert.Equal(IprSessionState.Connected, session.State);
        Assert.Equal(10, session.Version);
        Assert.Equal(exit.Ipv4, session.Ipv4);
        Assert.Equal(exit.Ipv6, session.Ipv6);
        Assert.Equal((ushort)1500, session.ReportedMtu);
        Assert.Equal(1500, session.Mtu);
        Assert.NotNull(session.StreamId);
        Assert.Equal(session.StreamId, exit.SessionStream);
        Assert.Equal(1, exit.OpenFrames);

        IprEnvelope<IprRequest> connect = await exit.NextAsync();
        Assert.Equal(0U, connect.Sequence);
        Assert.Null(Assert.IsType<IprConnectRequest>(connect.Message).BufferTimeoutMs);
        Assert.All(exit.Surbs, s => Assert.Equal(10U, s));
    }

    [Fact]
    public async Task FallsBackFromV10ToV9OnTheSameStream()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        DateTimeOffset start = time.GetUtcNow();
        await using var server = new FakeNymClientServer();
        var exit = new FakeIprExit(server, 8, 9);
        await using var connection = await NymClientConnection.ConnectAsync(server.Options());
        Task<IprSession> connecting = IprSession.ConnectAsync(connection, exit.Address, new IprSessionOptions { BufferTimeoutMs = 5 }, time);

        IprEnvelope<IprRequest> v10 = await exit.NextAsync();
        Assert.Equal(10, v10.Message.Version);
        await AdvanceUntil(time, connecting, TimeSpan.FromSeconds(1));
        await using IprSession session = await connecting.WaitAsync(Bound);

        IprEnvelope<IprRequest> v9 = await exit.NextAsync();
        Assert.Equal(9, v9.Message.Version);
        Assert.Equal(v10.StreamId, v9.StreamId);
        Assert.Equal(0U, v9.Sequence);
        Assert.Equal(5UL, Assert.IsType<IprConnectRequest>(v9.Message).BufferTimeoutMs);
        Assert.Equal(9, session.Version);
        Assert.Null(session.ReportedMtu);
        Assert.Equal(IprSessionOptions.DefaultFallbackMtu, session.Mtu);
        Assert.Equal(1, exit.OpenFrames);
        // On the fake clock only: comparing it with the wall clock (as this did) failed whenever the machine was slow.
        Assert.True(time.GetUtcNow() - start >= new IprSessionOptions().V10ConnectTimeout, "the v10 attempt waited for its timeout");
    }

    [Fact]
    public async Task FallsBackToUnframedV8()
    {
        var time = new FakeTimeProvider();
        await using var server = new FakeNymClientServer();
        var exit = new FakeIprExit(server, 8);
        await using var connection = await NymClientConnection.ConnectAsync(server.Options());
        var options = new IprSessionOptions { V10ConnectTimeout = TimeSpan.FromSeconds(2), V9ConnectTimeout = TimeSpan.FromSeconds(2) };
        Task<IprSession> connecting = IprSession.ConnectAsync(connection, exit.Address, options, time);
        await exit.NextAsync();
        await AdvanceUntil(time, connecting, TimeSpan.FromMilliseconds(500));
        await using IprSession session = await connecting.WaitAsync(Bound);

        Assert.Equal(8, session.Version);
        Assert.Null(session.StreamId);
        Assert.Equal(9, (await exit.NextAsync()).Message.Version);
        IprEnvelope<IprRequest> v8 = await exit.NextAsync();
        Assert.Equal(8, v8.Message.Version);
        Assert.Null(v8.StreamId);

        await session.SendPacketAsync(new byte[] { 0x45, 1, 2 });
        IprEnvelope<IprRequest> data = await exit.NextAsync(m => m is IprDataRequest);
        Assert.Null(data.StreamId);
        Assert.Equal(new byte[] { 0x45, 1, 2 }, (await session.Packets.ReadAsync().AsTask().WaitAsync(Bound)).ToArray());
        Assert.Equal(0, exit.FramingViolations);
    }

    [Fact]
    public async Task GivesUpWhenNoVersionAnswers()
    {
        var time = new FakeTimeProvider();
        await using var server = new FakeNymClientServer();
        var exit = new FakeIprExit(server);
        await using var connection = await NymClientConnection.ConnectAsync(server.Options());
        var options = new IprSessionOptions { V10ConnectTimeout = TimeSpan.FromSeconds(1), V9ConnectTimeout = TimeSpan.FromSeconds(1), V8ConnectTimeout = TimeSpan.FromSeconds(1) };
        Task<IprSession> connecting = IprSession.ConnectAsync(connection, exit.Address, options, time);
        await exit.NextAsync();
        await AdvanceUntil(time, connecting, TimeSpan.FromMilliseconds(250));
        await Assert.ThrowsAsync<TimeoutException>(() => connecting);
    }

    [Fact]
    public async Task RefusalIsReportedWithoutTryingOtherVersions()
    {
        await using var server = new FakeNymClientServer();
        var exit = new FakeIprExit(server, 8, 9, 10) { RefuseWith = IprConnectFailureReason.NoAvailableIp };
        await using var connection = await NymClientConnection.ConnectAsync(server.Options());
        var ex = await Assert.ThrowsAsync<IprConnectException>(() => IprSession.ConnectAsync(connection, exit.Address).WaitAsync(Bound));
        Assert.Equal(IprConnectFailureReason.NoAvailableIp, ex.Reason);
        Assert.Equal(10, (await exit.NextAsync()).Message.Version);
        Assert.False(exit.Seen.Reader.TryRead(out _));
    }

    [Fact]
    public async Task ToleratesAV10ReplyWithoutMtu()
    {
        await using var server = new FakeNymClientServer();
        var exit = new FakeIprExit(server, 9, 10) { OmitMtu = true };
        await using var connection = await NymClientConnection.ConnectAsync(server.Options());
        await using IprSession session = await IprSession.ConnectAsync(connection, exit.Address).WaitAsync(Bound);
        Assert.Equal(10, session.Version);
        Assert.Null(session.ReportedMtu);
        Assert.Equal(1420, session.Mtu);
    }

    [Fact]
    public async Task CarriesPacketsBothWaysWithIncreasingSequenceNumbers()
    {
        await using var server = new FakeNymClientServer();
        var exit = new FakeIprExit(server, 9, 10);
        await using var connection = await NymClientConnection.ConnectAsync(server.Options());
        await using IprSession session = await IprSession.ConnectAsync(connection, exit.Address, new IprSessionOptions { DataReplySurbs = 3 }).WaitAsync(Bound);
        Assert.Equal(0, session.LastDataSentAt);

        for (byte i = 1; i <= 3; i++)
        {
            await session.SendPacketAsync(new byte[] { 0x45, i });
        }

        await session.SendBundleAsync(PacketBundle.Encode([new byte[] { 0x60, 1 }, new byte[] { 0x60, 2 }]));
        var sequences = new List<uint>();
        for (int i = 0; i < 4; i++)
        {
            IprEnvelope<IprRequest> data = await exit.NextAsync(m => m is IprDataRequest);
            Assert.Equal(session.StreamId, data.StreamId);
            sequences.Add(data.Sequence);
        }

        Assert.Equal([1U, 2U, 3U, 4U], sequences);
        var received = new List<byte[]>();
        for (int i = 0; i < 5; i++)
        {
            received.Add((await session.Packets.ReadAsync().AsTask().WaitAsync(Bound)).ToArray());
        }

        Assert.Equal([[0x45, 1], [0x45, 2], [0x45, 3], [0x60, 1], [0x60, 2]], received);
        Assert.NotEqual(0, session.LastDataSentAt);
        Assert.NotEqual(0, session.LastDataReceivedAt);
        Assert.Contains(3U, exit.Surbs);
    }

    [Fact]
    public async Task BundlesCarryChosenSurbsOnAChosenLaneAndRepliesAreObserved()
    {
        await using var server = new FakeNymClientServer();
        var exit = new FakeIprExit(server, 9, 10);
        var observed = new System.Collections.Concurrent.ConcurrentQueue<int>();
        await using var connection = await NymClientConnection.ConnectAsync(server.Options());
        var options = new IprSessionOptions { ConnectReplySurbs = 20, ControlReplySurbs = 1, MessageObserver = observed.Enqueue };
        await using IprSession session = await IprSession.ConnectAsync(connection, exit.Address, options).WaitAsync(Bound);
        Assert.Equal([1U, 20U], exit.Surbs);

        byte[] bundle = PacketBundle.EncodeOne([0x45, 9]);
        await session.SendBundleAsync(bundle, replySurbs: 7, lane: 42);
        NymClientRequest.SendAnonymous sent;
        do
        {
            sent = await server.NextRequestAsync<NymClientRequest.SendAnonymous>();
        }
        while (!(IprMessageReader.TryReadRequest(sent.Message, out IprEnvelope<IprRequest> e) && e.Message is IprDataRequest));
        Assert.Equal(7U, sent.ReplySurbs);
        Assert.Equal(42UL, sent.ConnectionId);
        Assert.Equal(session.DataMessageLength(bundle.Length), sent.Message.Length);

        await session.Packets.ReadAsync().AsTask().WaitAsync(Bound);
        Assert.Equal(2, observed.Count); // the connect reply and the echoed data
        Assert.True(connection.TryGetLastLaneQueueLength(42, out _));
    }

    [Fact]
    public async Task IgnoresOtherStreamsOtherVersionsAndGarbage()
    {
        await using var server = new FakeNymClientServer();
        var exit = new FakeIprExit(server, 9) { Echo = false };
        await using var connection = await NymClientConnection.ConnectAsync(server.Options(), null);
        var options = new IprSessionOptions { Versions = [9] };
        await using IprSession session = await IprSession.ConnectAsync(connection, exit.Address, options).WaitAsync(Bound);

        await exit.PushAsync(new IprDataResponse(9, PacketBundle.EncodeOne([1])), stream: session.StreamId!.Value + 1, sequence: 1);
        await exit.PushAsync(new IprDataResponse(10, PacketBundle.EncodeOne([2])), sequence: 2);
        await exit.PushRawAsync(new IprDataResponse(8, PacketBundle.EncodeOne([3])).ToArray());
        await exit.PushRawAsync([0xde, 0xad]);
        await exit.PushRawAsync(IprMessageReader.Frame([9, 0, 5], session.StreamId, 3)); // truncated bundle length
        await exit.PushDataAsync(PacketBundle.EncodeOne([4]));

        Assert.Equal(new byte[] { 4 }, (await session.Packets.ReadAsync().AsTask().WaitAsync(Bound)).ToArray());
        Assert.False(session.Packets.TryRead(out _));
    }

    [Fact]
    public async Task PingAndHealth()
    {
        await using var server = new FakeNymClientServer();
        var exit = new FakeIprExit(server, 10);
        await using var connection = await NymClientConnection.ConnectAsync(server.Options());
        await using IprSession session = await IprSession.ConnectAsync(connection, exit.Address).WaitAsync(Bound);

        TimeSpan rtt = await session.PingAsync().WaitAsync(Bound);
        Assert.True(rtt >= TimeSpan.Zero);
        IprHealthResponse health = await session.GetHealthAsync().WaitAsync(Bound);
        Assert.Equal(FakeIprExit.BuildInfo, health.BuildInfo);

        IprEnvelope<IprRequest> ping = await exit.NextAsync(m => m is IprPingRequest);
        Assert.Equal(1U, ping.Sequence);
    }

    [Fact]
    public async Task PingTimesOutOnTheTimeProvider()
    {
        var time = new FakeTimeProvider();
        await using var server = new FakeNymClientServer();
        var exit = new FakeIprExit(server, 10);
        await using var connection = await NymClientConnection.ConnectAsync(server.Options());
        await using IprSession session = await IprSession.ConnectAsync(connection, exit.Address, new IprSessionOptions { RequestTimeout = TimeSpan.FromSeconds(3) }, time).WaitAsync(Bound);
        exit.Versions.Clear();
        Task<TimeSpan> ping = session.PingAsync();
        await exit.NextAsync(m => m is IprPingRequest);
        await AdvanceUntil(time, ping, TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<TimeoutException>(() => ping);
        Assert.Equal(IprSessionState.Connected, session.State);
    }

    [Fact]
    public async Task DisconnectReleasesTheSession()
    {
        await using var server = new FakeNymClientServer();
        var exit = new FakeIprExit(server, 9);
        await using var connection = await NymClientConnection.ConnectAsync(server.Options());
        await using IprSession session = await IprSession.ConnectAsync(connection, exit.Address, V9Only).WaitAsync(Bound);
        await session.DisconnectAsync().WaitAsync(Bound);

        Assert.Equal(IprSessionState.Disconnected, session.State);
        Assert.Null(exit.SessionVersion);
        await session.Packets.Completion.WaitAsync(Bound);
        await Assert.ThrowsAsync<InvalidOperationException>(() => session.SendPacketAsync(new byte[] { 1 }).AsTask());
        await session.DisconnectAsync();
    }

    [Fact]
    public async Task UnrequestedDisconnectEndsTheSession()
    {
        await using var server = new FakeNymClientServer();
        var exit = new FakeIprExit(server, 9);
        await using var connection = await NymClientConnection.ConnectAsync(server.Options());
        await using IprSession session = await IprSession.ConnectAsync(connection, exit.Address, V9Only).WaitAsync(Bound);
        await exit.PushAsync(new IprUnrequestedDisconnect(9, IprUnrequestedDisconnectReason.ClientMixnetTrafficTimeout, null));

        await Assert.ThrowsAsync<IOException>(() => session.Packets.Completion.WaitAsync(Bound));
        Assert.Equal(IprSessionState.Disconnected, session.State);
    }

    [Fact]
    public async Task ExitPolicyNoticesAreSurfaced()
    {
        await using var server = new FakeNymClientServer();
        var exit = new FakeIprExit(server, 9);
        await using var connection = await NymClientConnection.ConnectAsync(server.Options());
        await using IprSession session = await IprSession.ConnectAsync(connection, exit.Address, V9Only).WaitAsync(Bound);
        await exit.PushAsync(new IprInfoResponse(9, 0, new IprInfoExitPolicyFilterCheckFailed("1.2.3.4:25"), IprInfoLevel.Warn));
        IprInfoResponse notice = await session.Notices.ReadAsync().AsTask().WaitAsync(Bound);
        Assert.Equal(new IprInfoExitPolicyFilterCheckFailed("1.2.3.4:25"), notice.Reply);
    }

    [Fact]
    public async Task ConnectionFailureEndsTheSession()
    {
        await using var server = new FakeNymClientServer();
        var exit = new FakeIprExit(server, 9);
        await using var connection = await NymClientConnection.ConnectAsync(server.Options() with { MaxReconnectAttempts = 1 });
        await using IprSession session = await IprSession.ConnectAsync(connection, exit.Address, V9Only).WaitAsync(Bound);
        server.RejectConnections = true;
        server.DropConnection();
        await Assert.ThrowsAsync<IOException>(() => session.Packets.Completion.WaitAsync(Bound));
        Assert.Equal(IprSessionState.Disconnected, session.State);
    }

    [Fact]
    public async Task ConnectHonoursCancellation()
    {
        await using var server = new FakeNymClientServer();
        var exit = new FakeIprExit(server);
        await using var connection = await NymClientConnection.ConnectAsync(server.Options());
        using var cts = new CancellationTokenSource();
        Task<IprSession> connecting = IprSession.ConnectAsync(connection, exit.Address, cancellationToken: cts.Token);
        await exit.NextAsync();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connecting.WaitAsync(Bound));
    }

    [Fact]
    public void OptionsAreValidated()
    {
        Assert.Throws<ArgumentException>(() => new IprSessionOptions { Versions = [7] }.Validate());
        Assert.Throws<ArgumentException>(() => new IprSessionOptions { Versions = [] }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new IprSessionOptions { RequestTimeout = TimeSpan.Zero }.Validate());
        Assert.Equal(TimeSpan.FromSeconds(15), new IprSessionOptions().ConnectTimeoutFor(10));
    }

    private static async Task AdvanceUntil(FakeTimeProvider time, Task task, TimeSpan step)
    {
        using var timeout = new CancellationTokenSource(Bound);
        while (!task.IsCompleted)
        {
            time.Advance(step);
            await Task.Delay(5, timeout.Token);
        }
    }
}
