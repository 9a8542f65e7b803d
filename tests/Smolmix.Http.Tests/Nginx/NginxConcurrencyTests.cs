using System.Diagnostics;
using Smolmix.Http.Tests.Support;
using Xunit.Abstractions;

namespace Smolmix.Http.Tests.Nginx;

/// <summary>Many HTTP/2 requests at once share one connection through the tunnel.</summary>
[Collection(NginxCollection.Name)]
public sealed class NginxConcurrencyTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);
    private const int Requests = 20;

    [SkippableTheory]
    [InlineData(NginxProtocol.Http2)]
    [InlineData(NginxProtocol.H2c)]
    public async Task Twenty_concurrent_HTTP_2_requests_use_one_connection(NginxProtocol protocol)
    {
        using var cts = new CancellationTokenSource(Limit);
        await using NginxRig rig = await NginxRig.StartAsync(cts.Token);
        int connections = 0;
        using var client = new HttpClient(rig.Handler(protocol, o => o.ConnectionEstablished = _ => Interlocked.Increment(ref connections)));

        var clock = Stopwatch.StartNew();
        (Version Version, long Length, byte[] Sha256)[] results = await Task.WhenAll(Enumerable.Range(0, Requests).Select(async _ =>
        {
            using HttpRequestMessage request = rig.Get(protocol, NginxFiles.Medium);
            using HttpResponseMessage response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            response.EnsureSuccessStatusCode();
            (long length, byte[] sha256) = await NginxBodyTests.HashAsync(await response.Content.ReadAsStreamAsync(cts.Token), cts.Token);
            return (response.Version, length, sha256);
        }));
        clock.Stop();

        Assert.All(results, r =>
        {
            Assert.Equal(NginxRig.VersionOf(protocol), r.Version);
            Assert.Equal(rig.Nginx.Files.Length(NginxFiles.Medium), r.Length);
            Assert.Equal(rig.Nginx.Files.Sha256(NginxFiles.Medium), r.Sha256);
        });
        Assert.Equal(1, connections);
        IReadOnlyList<NginxAccess> log = rig.Nginx.AccessLog();
        Assert.Equal(Requests, log.Count);
        Assert.Single(log.Select(a => a.Connection).Distinct());
        Assert.All(log, a => Assert.Equal("HTTP/2.0", a.Protocol));
        output.WriteLine($"{Requests} x 1 MiB over {protocol} on one connection: {clock.Elapsed.TotalMilliseconds:F0} ms ({Requests / clock.Elapsed.TotalSeconds:F1} MiB/s)");
    }
}
