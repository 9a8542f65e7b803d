using Smolmix.Devnet.NymClientApi;

namespace Smolmix.Devnet.Tests.NymClientApi;

public sealed class WebSocketHandshakeTests
{
    [Fact]
    public void AcceptKey_IsRfc6455sExample() => Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", WebSocketHandshake.ComputeAccept("dGhlIHNhbXBsZSBub25jZQ=="));

    [Theory]
    [InlineData("GET /any/path HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Key: abc\r\nSec-WebSocket-Version: 13", null)]
    [InlineData("POST / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: abc\r\nSec-WebSocket-Version: 13", "expected a GET request")]
    [InlineData("GET / HTTP/1.1\r\nConnection: Upgrade\r\nSec-WebSocket-Key: abc\r\nSec-WebSocket-Version: 13", "expected a WebSocket upgrade")]
    [InlineData("GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: abc\r\nSec-WebSocket-Version: 8", "unsupported WebSocket version")]
    [InlineData("GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13", "missing Sec-WebSocket-Key")]
    public void RequestHeads_AreValidated(string head, string? error) => Assert.Equal(error, WebSocketHandshake.Validate(head, out _));
}
