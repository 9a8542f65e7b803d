using System.Buffers;
using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;

namespace Smolmix.Http.Tests.WebSockets;

/// <summary>
/// <c>ClientWebSocket.ConnectAsync(uri, new HttpMessageInvoker(SmolmixHandler), ct)</c> through a Devnet
/// to a Kestrel WebSocket echo: ws and wss with the HTTP/1.1 upgrade, and RFC 8441 over h2 and h2c.
/// </summary>
public sealed class ClientWebSocketTests(WebSocketRig fixture) : IClassFixture<WebSocketRig>
{
    private const int Messages = 1000;
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    public static TheoryData<string> Transports => new() { "ws", "wss", "wss-h2", "ws-h2c" };

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_thousand_text_and_binary_messages_are_echoed_in_order_then_closed(string transport)
    {
        using var cts = new CancellationTokenSource(Limit);
        using var invoker = new HttpMessageInvoker(fixture.Rig.Handler());
        using ClientWebSocket socket = await fixture.ConnectAsync(transport, invoker, cts.Token);
        Assert.Equal(WebSocketState.Open, socket.State);
        Assert.Equal(ExpectedProtocol(transport), Assert.Single(socket.HttpResponseHeaders!["x-protocol"]));

        Task<int> reading = Task.Run(async () =>
        {
            for (int i = 0; i < Messages; i++)
            {
                (WebSocketMessageType type, byte[] data) = await ReceiveMessageAsync(socket, cts.Token);
                (WebSocketMessageType sentType, byte[] sent) = Message(i);
                Assert.Equal(sentType, type);
                Assert.Equal(sent, data);
            }

            return Messages;
        });
        for (int i = 0; i < Messages; i++)
        {
            (WebSocketMessageType type, byte[] data) = Message(i);
            await socket.SendAsync(data, type, endOfMessage: true, cts.Token);
        }

        Assert.Equal(Messages, await reading.WaitAsync(cts.Token));
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", cts.Token);
        Assert.Equal(WebSocketState.Closed, socket.State);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
        Assert.Equal("bye", socket.CloseStatusDescription);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_message_larger_than_1_MiB_is_echoed_byte_exact(string transport)
    {
        using var cts = new CancellationTokenSource(Limit);
        using var invoker = new HttpMessageInvoker(fixture.Rig.Handler());
        using ClientWebSocket socket = await fixture.ConnectAsync(transport, invoker, cts.Token);
        byte[] big = RandomNumberGenerator.GetBytes((3 * 1024 * 1024 / 2) + 7);

        Task<(WebSocketMessageType, byte[])> echo = ReceiveMessageAsync(socket, cts.Token);
        await socket.SendAsync(big, WebSocketMessageType.Binary, endOfMessage: true, cts.Token);
        (WebSocketMessageType type, byte[] data) = await echo.WaitAsync(cts.Token);

        Assert.Equal(WebSocketMessageType.Binary, type);
        Assert.Equal(big.Length, data.Length);
        Assert.Equal(SHA256.HashData(big), SHA256.HashData(data));
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token);
        Assert.Equal(WebSocketState.Closed, socket.State);
    }

    [Fact]
    public async Task Ws_and_wss_sockets_share_one_handler_at_the_same_time()
    {
        using var cts = new CancellationTokenSource(Limit);
        using var invoker = new HttpMessageInvoker(fixture.Rig.Handler());
        string[] transports = ["ws", "wss", "wss-h2", "ws-h2c"];
        ClientWebSocket[] sockets = await Task.WhenAll(transports.Select(t => fixture.ConnectAsync(t, invoker, cts.Token)));
        try
        {
            await Task.WhenAll(sockets.Select(async (socket, n) =>
            {
                for (int i = 0; i < 50; i++)
                {
                    byte[] text = Encoding.UTF8.GetBytes($"{transports[n]} {i}");
                    await socket.SendAsync(text, WebSocketMessageType.Text, endOfMessage: true, cts.Token);
                    (WebSocketMessageType type, byte[] data) = await ReceiveMessageAsync(socket, cts.Token);
                    Assert.Equal(WebSocketMessageType.Text, type);
                    Assert.Equal(text, data);
                }

                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token);
            })).WaitAsync(cts.Token);
        }
        finally
        {
            foreach (ClientWebSocket socket in sockets)
            {
                socket.Dispose();
            }
        }
    }

    [Fact]
    public async Task An_HTTP_1_1_upgrade_stays_on_HTTP_1_1_when_the_handler_speaks_h2c()
    {
        using var cts = new CancellationTokenSource(Limit);
        using var invoker = new HttpMessageInvoker(fixture.Rig.Handler(o => o.PlaintextHttp2 = true));
        using ClientWebSocket socket = await fixture.ConnectAsync("ws", invoker, cts.Token);

        Assert.Equal("HTTP/1.1", Assert.Single(socket.HttpResponseHeaders!["x-protocol"]));
        byte[] text = "h2c handler, HTTP/1.1 socket"u8.ToArray();
        await socket.SendAsync(text, WebSocketMessageType.Text, endOfMessage: true, cts.Token);
        Assert.Equal(text, (await ReceiveMessageAsync(socket, cts.Token)).Data);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token);
    }

    private static string ExpectedProtocol(string transport) => transport.EndsWith("h2", StringComparison.Ordinal) || transport.EndsWith("h2c", StringComparison.Ordinal) ? "HTTP/2" : "HTTP/1.1";

    /// <summary>Message i: even ones are text ("message i" plus some non-ASCII), odd ones binary of varying length.</summary>
    private static (WebSocketMessageType Type, byte[] Data) Message(int i)
    {
        if (i % 2 == 0)
        {
            return (WebSocketMessageType.Text, Encoding.UTF8.GetBytes($"message {i} — ünïcode ✓"));
        }

        byte[] data = new byte[1 + (i * 37 % 4096)];
        for (int b = 0; b < data.Length; b++)
        {
            data[b] = (byte)(i + (b * 31));
        }

        return (WebSocketMessageType.Binary, data);
    }

    private static async Task<(WebSocketMessageType Type, byte[] Data)> ReceiveMessageAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        var message = new ArrayBufferWriter<byte>(4096);
        while (true)
        {
            ValueWebSocketReceiveResult result = await socket.ReceiveAsync(message.GetMemory(64 * 1024), cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                throw new WebSocketException($"closed by the server: {socket.CloseStatus} {socket.CloseStatusDescription}");
            }

            message.Advance(result.Count);
            if (result.EndOfMessage)
            {
                return (result.MessageType, message.WrittenSpan.ToArray());
            }
        }
    }
}
