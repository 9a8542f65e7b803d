using System.Net.Sockets;
using Smolmix.Http.Tests.Support;
using Xunit.Abstractions;

namespace Smolmix.Http.Tests.Nginx;

/// <summary>
/// A response broken off mid-body (nginx's upstream resets the connection after the headers and 64 KiB of a 1 MiB body)
/// reaches the caller as the exceptions <see cref="HttpClient"/> users know.
/// </summary>
[Collection(NginxCollection.Name)]
public sealed class NginxResetTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    [SkippableTheory]
    [InlineData(NginxProtocol.Http11)]
    [InlineData(NginxProtocol.Http2)]
    [InlineData(NginxProtocol.H2c)]
    public async Task Reading_the_body_stream_throws_HttpIOException_and_the_client_goes_on(NginxProtocol protocol)
    {
        using var cts = new CancellationTokenSource(Limit);
        await using NginxRig rig = await NginxRig.StartAsync(cts.Token);
        int connections = 0;
        using var client = new HttpClient(rig.Handler(protocol, o => o.ConnectionEstablished = _ => Interlocked.Increment(ref connections)));
        using HttpRequestMessage request = rig.Get(protocol, "reset");
        using HttpResponseMessage response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal(ResettingUpstream.AnnouncedLength, response.Content.Headers.ContentLength);
        await using Stream body = await response.Content.ReadAsStreamAsync(cts.Token);
        byte[] buffer = new byte[16 * 1024];
        long read = await body.ReadAsync(buffer, cts.Token);
        Assert.True(read > 0);

        rig.Nginx.Upstream.Reset();
        Exception ex = await Record.ExceptionAsync(async () =>
        {
            int n;
            while ((n = await body.ReadAsync(buffer, cts.Token)) > 0)
            {
                read += n;
            }
        });

        output.WriteLine($"{protocol}: {read} bytes, then {ex}");
        Assert.InRange(read, 1, ResettingUpstream.SentBeforeReset);
        Assert.Equal(1, rig.Nginx.Upstream.Resets);
        if (protocol == NginxProtocol.Http11)
        {
            // nginx closes the connection short of Content-Length.
            HttpIOException io = Assert.IsType<HttpIOException>(ex);
            Assert.Equal(HttpRequestError.ResponseEnded, io.HttpRequestError);
        }
        else
        {
            // nginx resets the stream (RST_STREAM INTERNAL_ERROR); HttpProtocolException is an HttpIOException.
            HttpProtocolException h2 = Assert.IsType<HttpProtocolException>(ex);
            Assert.Equal(HttpRequestError.HttpProtocolError, h2.HttpRequestError);
            Assert.Equal(0x2, h2.ErrorCode);
        }

        // The client goes on: over HTTP/2 on the same connection, over HTTP/1.1 on a new one.
        using HttpRequestMessage next = rig.Get(protocol, NginxFiles.Small);
        using HttpResponseMessage again = await client.SendAsync(next, cts.Token);
        Assert.Equal(rig.Nginx.Files.Sha256(NginxFiles.Small), System.Security.Cryptography.SHA256.HashData(await again.Content.ReadAsByteArrayAsync(cts.Token)));
        Assert.Equal(protocol == NginxProtocol.Http11 ? 2 : 1, connections);
    }

    [SkippableTheory]
    [InlineData(NginxProtocol.Http11)]
    [InlineData(NginxProtocol.Http2)]
    [InlineData(NginxProtocol.H2c)]
    public async Task Buffering_the_body_throws_HttpRequestException_around_the_HttpIOException(NginxProtocol protocol)
    {
        using var cts = new CancellationTokenSource(Limit);
        await using NginxRig rig = await NginxRig.StartAsync(cts.Token);
        using var client = new HttpClient(rig.Handler(protocol));
        using HttpRequestMessage request = rig.Get(protocol, "reset");
        using HttpResponseMessage response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal(200, (int)response.StatusCode);

        Task<byte[]> buffering = response.Content.ReadAsByteArrayAsync(cts.Token);
        rig.Nginx.Upstream.Reset();
        Exception ex = await Record.ExceptionAsync(() => buffering);

        output.WriteLine($"{protocol}: {ex}");
        // HttpContent wraps the HttpIOException of the body and carries its HttpRequestError.
        HttpRequestException http = Assert.IsType<HttpRequestException>(ex);
        if (protocol == NginxProtocol.Http11)
        {
            Assert.Equal(HttpRequestError.ResponseEnded, http.HttpRequestError);
            Assert.IsType<HttpIOException>(http.InnerException);
        }
        else
        {
            Assert.Equal(HttpRequestError.HttpProtocolError, http.HttpRequestError);
            Assert.Equal(0x2, Assert.IsType<HttpProtocolException>(http.InnerException).ErrorCode);
        }
    }

    /// <summary>
    /// Without nginx: the server's own RST crosses the Devnet exit and the tunnel. SocketsHttpHandler reports a transport
    /// reset as an <see cref="IOException"/> around a <see cref="SocketException"/> (ConnectionReset), not as an
    /// <see cref="HttpIOException"/>; through the tunnel it is the same as over a plain socket.
    /// </summary>
    [SkippableFact]
    public async Task A_TCP_reset_from_the_server_itself_is_the_same_IOException_as_without_the_tunnel()
    {
        using var cts = new CancellationTokenSource(Limit);
        await using NginxRig rig = await NginxRig.StartAsync(cts.Token);
        using var client = new HttpClient(rig.Handler());
        (long read, Exception? ex) = await ReadUntilResetAsync(client, new Uri(rig.UpstreamBase, "reset"), rig.Nginx.Upstream, cts.Token);
        output.WriteLine($"tunnel: {read} bytes, then {ex}");

        using var plain = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        (long plainRead, Exception? plainEx) = await ReadUntilResetAsync(plain, new Uri($"http://{rig.Nginx.Upstream.EndPoint}/reset"), rig.Nginx.Upstream, cts.Token);
        output.WriteLine($"plain socket: {plainRead} bytes, then {plainEx}");

        Assert.Equal(ResettingUpstream.SentBeforeReset, read);
        Assert.Equal(2, rig.Nginx.Upstream.Resets);
        IOException io = Assert.IsType<IOException>(ex);
        Assert.Equal(SocketError.ConnectionReset, Assert.IsType<SocketException>(io.InnerException).SocketErrorCode);
        IOException plainIo = Assert.IsType<IOException>(plainEx);
        Assert.Equal(SocketError.ConnectionReset, Assert.IsType<SocketException>(plainIo.InnerException).SocketErrorCode);
    }

    // Reads the body until the upstream has sent all it sends before the reset, lets it reset, and reads on.
    private static async Task<(long Read, Exception? Error)> ReadUntilResetAsync(HttpClient client, Uri uri, ResettingUpstream upstream, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await client.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        Assert.Equal(ResettingUpstream.AnnouncedLength, response.Content.Headers.ContentLength);
        await using Stream body = await response.Content.ReadAsStreamAsync(cancellationToken);
        byte[] buffer = new byte[16 * 1024];
        long read = 0;
        Exception? ex = await Record.ExceptionAsync(async () =>
        {
            int n;
            while ((n = await body.ReadAsync(buffer, cancellationToken)) > 0)
            {
                if ((read += n) == ResettingUpstream.SentBeforeReset)
                {
                    upstream.Reset();
                }
            }
        });
        return (read, ex);
    }
}
