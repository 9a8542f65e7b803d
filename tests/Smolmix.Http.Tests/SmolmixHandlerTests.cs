using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Smolmix.Http.Tests.Support;

namespace Smolmix.Http.Tests;

/// <summary><c>new HttpClient(SmolmixHandler.Create(tunnel))</c> through a Devnet to a Kestrel site.</summary>
public sealed class SmolmixHandlerTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);
    private static readonly byte[] Body = RandomNumberGenerator.GetBytes(256 * 1024);

    private static void Map(WebApplication app)
    {
        app.MapGet("/hello", (HttpContext c) => $"hello over {c.Request.Protocol} via {(c.Request.IsHttps ? "https" : "http")}");
        app.MapGet("/body", () => Results.Bytes(Body, "application/octet-stream"));
    }

    [Fact]
    public async Task HTTPS_by_name_with_HTTP_1_1_and_HTTP_2_and_h2c()
    {
        using var cts = new CancellationTokenSource(Limit);
        await using var rig = await HttpRig.StartAsync(Map, cancellationToken: cts.Token);
        var connections = new List<SmolmixConnectionInfo>();
        using var client = new HttpClient(rig.Handler(o => o.ConnectionEstablished = c => { lock (connections) { connections.Add(c); } }));

        Assert.Equal("hello over HTTP/1.1 via https", await client.GetStringAsync(new Uri(rig.HttpsBase, "hello"), cts.Token));
        using var h2 = new HttpRequestMessage(HttpMethod.Get, new Uri(rig.HttpsBase, "hello")) { Version = HttpVersion.Version20 };
        using HttpResponseMessage r2 = await client.SendAsync(h2, cts.Token);
        Assert.Equal(HttpVersion.Version20, r2.Version);
        Assert.Equal("hello over HTTP/2 via https", await r2.Content.ReadAsStringAsync(cts.Token));
        byte[] body = await client.GetByteArrayAsync(new Uri(rig.HttpsBase, "body"), cts.Token);
        Assert.Equal(SHA256.HashData(Body), SHA256.HashData(body));

        using var h2cClient = new HttpClient(rig.Handler(o => o.PlaintextHttp2 = true));
        Assert.Equal("hello over HTTP/2 via http", await h2cClient.GetStringAsync(new Uri(rig.H2cBase, "hello"), cts.Token));

        Assert.Contains(connections, c => c.Host == HttpRig.HttpsHost && c.TlsHandshake > TimeSpan.Zero && c.HttpVersion == HttpVersion.Version11);
        Assert.Contains(connections, c => c.HttpVersion == HttpVersion.Version20);
    }

    [Fact]
    public async Task A_name_that_does_not_exist_is_a_NameResolutionError()
    {
        using var cts = new CancellationTokenSource(Limit);
        await using var rig = await HttpRig.StartAsync(Map, cancellationToken: cts.Token);
        using var client = new HttpClient(rig.Handler());

        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetStringAsync("https://nowhere.smolmix.test/", cts.Token));

        Assert.Equal(HttpRequestError.NameResolutionError, ex.HttpRequestError);
        Assert.IsAssignableFrom<System.Net.Sockets.SocketException>(ex.InnerException);
    }

    [Fact]
    public async Task A_certificate_from_an_untrusted_CA_is_refused()
    {
        using var cts = new CancellationTokenSource(Limit);
        await using var rig = await HttpRig.StartAsync(Map, cancellationToken: cts.Token);
        using var client = new HttpClient(SmolmixHandler.Create(rig.Tunnel)); // system roots only

        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetStringAsync(new Uri(rig.HttpsBase, "hello"), cts.Token));

        Assert.Equal(HttpRequestError.SecureConnectionError, ex.HttpRequestError);
    }

    [Fact]
    public async Task HTTP_3_and_or_higher_requests_are_kept_on_HTTP_2()
    {
        using var cts = new CancellationTokenSource(Limit);
        await using var rig = await HttpRig.StartAsync(Map, cancellationToken: cts.Token);
        using var client = new HttpClient(rig.Handler());
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(rig.HttpsBase, "hello")) { Version = HttpVersion.Version30, VersionPolicy = HttpVersionPolicy.RequestVersionOrHigher };

        using HttpResponseMessage response = await client.SendAsync(request, cts.Token);

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal(HttpVersionPolicy.RequestVersionOrLower, request.VersionPolicy);
    }
}
