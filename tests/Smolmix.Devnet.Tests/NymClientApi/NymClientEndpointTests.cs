using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Smolmix.Devnet.Tests.Support;
using Smolmix.Nym;

namespace Smolmix.Devnet.Tests.NymClientApi;

/// <summary>The nym-client WebSocket API of the Devnet (ipr-protocol.md §4).</summary>
public sealed class NymClientEndpointTests
{
    [Fact]
    public async Task EachWebSocketClient_GetsItsOwnValidAddress_BehindTheSameGateway()
    {
        await using Devnet devnet = await TestDevnet.StartAsync();
        await using NymClientConnection a = await TestDevnet.ConnectAsync(devnet);
        await using NymClientConnection b = await TestDevnet.ConnectAsync(devnet);
        NymAddress first = await a.GetSelfAddressAsync();
        NymAddress second = await b.GetSelfAddressAsync();
        Assert.NotEqual(first, second);
        Assert.Equal(first.GatewayIdentity, second.GatewayIdentity);
        Assert.Equal(first, NymAddress.Parse(first.ToString()));
        Assert.NotEqual(TestDevnet.Exit(devnet), first);
        Assert.Equal(2, devnet.Counters.ActiveWebSocketClients);
    }

    [Fact]
    public async Task AnonymousMessages_CarryOneSenderTagPerDestination_AndRepliesArriveWithoutTag()
    {
        await using Devnet devnet = await TestDevnet.StartAsync();
        await using NymClientConnection alice = await TestDevnet.ConnectAsync(devnet);
        await using NymClientConnection bob = await TestDevnet.ConnectAsync(devnet);
        await using NymClientConnection carol = await TestDevnet.ConnectAsync(devnet);
        NymAddress bobAddress = await bob.GetSelfAddressAsync();
        NymAddress carolAddress = await carol.GetSelfAddressAsync();

        await alice.SendAnonymousAsync(bobAddress, "one"u8.ToArray(), replySurbs: 20);
        await alice.SendAnonymousAsync(bobAddress, "two"u8.ToArray(), replySurbs: 20);
        await alice.SendAnonymousAsync(carolAddress, "three"u8.ToArray(), replySurbs: 20);
        NymClientResponse.Received one = await ReadAsync(bob);
        NymClientResponse.Received two = await ReadAsync(bob);
        NymClientResponse.Received three = await ReadAsync(carol);
        Assert.Equal("one", Encoding.UTF8.GetString(one.Message.Span));
        Assert.NotNull(one.SenderTag);
        Assert.Equal(one.SenderTag, two.SenderTag);
        Assert.NotEqual(one.SenderTag, three.SenderTag);

        // Bob answers through Alice's SURBs; the reply carries no tag.
        await bob.ReplyAsync(one.SenderTag!.Value, "back"u8.ToArray());
        NymClientResponse.Received reply = await ReadAsync(alice);
        Assert.Null(reply.SenderTag);
        Assert.Equal("back", Encoding.UTF8.GetString(reply.Message.Span));

        // A plain Send arrives without a tag too.
        await alice.SendAsync(bobAddress, "plain"u8.ToArray());
        Assert.Null((await ReadAsync(bob)).SenderTag);
    }

    [Fact]
    public async Task MessagesToUnknownAddresses_AreDroppedSilently()
    {
        await using Devnet devnet = await TestDevnet.StartAsync();
        await using NymClientConnection alice = await TestDevnet.ConnectAsync(devnet);
        NymAddress nobody = NymAddress.Parse("D1rrpsysCGCYXy9saP8y3kmNpGtJZUXN9SvFoUcqAsM9.9Ssso1ea5NfkbMASdiseDSjTN1fSWda5SgEVjdSN4CvV@GJqd3ZxpXWSNxTfx7B1pPtswpetH4LnJdFeLeuY5KUuN");
        await alice.SendAnonymousAsync(nobody, "hello"u8.ToArray(), 5);
        await TestDevnet.EventuallyAsync(() => devnet.Counters.Mixnet.MessagesUndeliverable == 1, "the undeliverable message");
    }

    [Fact]
    public async Task NonZeroLanes_AreAnsweredWithTheirQueueLength()
    {
        await using Devnet devnet = await TestDevnet.StartAsync();
        await using NymClientConnection alice = await TestDevnet.ConnectAsync(devnet);
        Assert.Equal(0UL, await alice.GetLaneQueueLengthAsync(7));
        await alice.SendAnonymousAsync(TestDevnet.Exit(devnet), new byte[10], 1, connectionId: 9);
        await TestDevnet.EventuallyAsync(() => alice.TryGetLastLaneQueueLength(9, out _), "the lane queue length report");
    }

    public static TheoryData<string, string, byte> BadRequests => new()
    {
        { "empty", string.Empty, 0x01 },
        { "unknown tag", "09", 0x03 },
        { "truncated send", "00" + new string('0', 40), 0x02 },
        { "self address with trailing bytes", "0300", 0x04 },
        { "length mismatch", "02" + new string('8', 32) + "000000000000002a" + "0000000000000009" + "666f6f6d70", 0x04 },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadBinaryRequests_GetErrorResponses(string name, string hex, byte kind)
    {
        await using Devnet devnet = await TestDevnet.StartAsync();
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(devnet.NymClientUri, CancellationToken.None);
        await socket.SendAsync(Hex.Bytes(hex), WebSocketMessageType.Binary, true, CancellationToken.None);
        (byte[] frame, WebSocketMessageType type) = await ReceiveFrameAsync(socket);
        Assert.Equal(WebSocketMessageType.Binary, type);
        var error = Assert.IsType<NymClientResponse.Error>(NymClientResponse.Decode(frame));
        Assert.True((byte)error.Kind == kind, $"{name}: got {error.Kind}");
    }

    [Fact]
    public async Task TextRequests_GetTextResponses_AndSwitchReceivedMessagesToText()
    {
        await using Devnet devnet = await TestDevnet.StartAsync();
        using var alice = new ClientWebSocket();
        using var bob = new ClientWebSocket();
        await alice.ConnectAsync(devnet.NymClientUri, CancellationToken.None);
        await bob.ConnectAsync(devnet.NymClientUri, CancellationToken.None);

        await SendTextAsync(bob, """{"type":"selfAddress"}""");
        using JsonDocument self = await ReceiveJsonAsync(bob);
        Assert.Equal("selfAddress", self.RootElement.GetProperty("type").GetString());
        string bobAddress = self.RootElement.GetProperty("address").GetString()!;
        Assert.True(NymAddress.TryParse(bobAddress, out _));

        await SendTextAsync(alice, $$"""{"type":"sendAnonymous","recipient":"{{bobAddress}}","message":"héllo","replySurbs":20,"connectionId":null}""");
        using JsonDocument received = await ReceiveJsonAsync(bob);
        Assert.Equal("received", received.RootElement.GetProperty("type").GetString());
        Assert.Equal("héllo", received.RootElement.GetProperty("message").GetString());
        string tag = received.RootElement.GetProperty("senderTag").GetString()!;
        Assert.True(SenderTag.TryParse(tag, out _));

        await SendTextAsync(bob, $$"""{"type":"reply","senderTag":"{{tag}}","message":"ok","connectionId":3}""");
        using JsonDocument lane = await ReceiveJsonAsync(bob);
        Assert.Equal("laneQueueLength", lane.RootElement.GetProperty("type").GetString());
        Assert.Equal(3UL, lane.RootElement.GetProperty("lane").GetUInt64());
        Assert.True(lane.RootElement.TryGetProperty("queue_length", out _));

        // Alice's last request was text, so the reply comes as JSON, without a tag.
        using JsonDocument reply = await ReceiveJsonAsync(alice);
        Assert.Equal("ok", reply.RootElement.GetProperty("message").GetString());
        Assert.Equal(JsonValueKind.Null, reply.RootElement.GetProperty("senderTag").ValueKind);

        await SendTextAsync(alice, """{"type":"teleport"}""");
        using JsonDocument error = await ReceiveJsonAsync(alice);
        Assert.Equal("error", error.RootElement.GetProperty("type").GetString());
        Assert.StartsWith("unknown request:", error.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NonWebSocketRequests_AreRefusedWith400()
    {
        await using Devnet devnet = await TestDevnet.StartAsync();
        using var client = new TcpClient();
        await client.ConnectAsync(devnet.NymClientUri.Host, devnet.NymClientUri.Port);
        NetworkStream stream = client.GetStream();
        await stream.WriteAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        var buffer = new byte[256];
        int n = await stream.ReadAsync(buffer).AsTask().WaitAsync(TestDevnet.Timeout);
        Assert.StartsWith("HTTP/1.1 400", Encoding.ASCII.GetString(buffer, 0, n), StringComparison.Ordinal);
    }

    private static async Task<NymClientResponse.Received> ReadAsync(NymClientConnection connection)
    {
        using var cts = new CancellationTokenSource(TestDevnet.Timeout);
        return await connection.Received.ReadAsync(cts.Token);
    }

    private static Task SendTextAsync(ClientWebSocket socket, string json)
        => socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, CancellationToken.None);

    private static async Task<JsonDocument> ReceiveJsonAsync(ClientWebSocket socket)
    {
        (byte[] frame, WebSocketMessageType type) = await ReceiveFrameAsync(socket);
        Assert.Equal(WebSocketMessageType.Text, type);
        return JsonDocument.Parse(frame);
    }

    private static async Task<(byte[] Frame, WebSocketMessageType Type)> ReceiveFrameAsync(ClientWebSocket socket)
    {
        using var cts = new CancellationTokenSource(TestDevnet.Timeout);
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            WebSocketReceiveResult result = await socket.ReceiveAsync(buffer, cts.Token);
            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return (message.ToArray(), result.MessageType);
            }
        }
    }
}
