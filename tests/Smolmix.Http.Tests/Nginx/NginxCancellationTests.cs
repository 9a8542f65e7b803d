using Smolmix.Http.Tests.Support;
using Xunit.Abstractions;

namespace Smolmix.Http.Tests.Nginx;

/// <summary>Cancelling a read in the middle of a large body ends that response only; the client goes on working.</summary>
[Collection(NginxCollection.Name)]
public sealed class NginxCancellationTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);
    private const int ReadBeforeCancel = 256 * 1024;

    [SkippableTheory]
    [InlineData(NginxProtocol.Http11)]
    [InlineData(NginxProtocol.Http2)]
    [InlineData(NginxProtocol.H2c)]
    public async Task Cancelling_mid_body_ends_the_response_and_the_client_stays_usable(NginxProtocol protocol)
    {
        using var cts = new CancellationTokenSource(Limit);
        await using NginxRig rig = await NginxRig.StartAsync(cts.Token);
        int connections = 0;
        using var client = new HttpClient(rig.Handler(protocol, o => o.ConnectionEstablished = _ => Interlocked.Increment(ref connections)));
        long total = rig.Nginx.Files.Length(NginxFiles.Large);

        long read = 0;
        using (HttpRequestMessage request = rig.Get(protocol, NginxFiles.Large))
        using (HttpResponseMessage response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token))
        {
            Assert.Equal(NginxRig.VersionOf(protocol), response.Version);
            await using Stream body = await response.Content.ReadAsStreamAsync(cts.Token);
            using var reading = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
            byte[] buffer = new byte[16 * 1024];
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            {
                int n;
                while ((n = await body.ReadAsync(buffer, reading.Token)) > 0)
                {
                    if ((read += n) >= ReadBeforeCancel)
                    {
                        await reading.CancelAsync();
                    }
                }
            });
            Assert.False(cts.IsCancellationRequested);
            Assert.InRange(read, ReadBeforeCancel, total - 1);
        }

        // nginx saw the response end early: it logs the request with fewer bytes than the file.
        NginxAccess cancelled = await rig.Nginx.WaitForAccessAsync(a => a.Uri == "/" + NginxFiles.Large, cts.Token);
        Assert.InRange(cancelled.BodyBytesSent, read, total - 1);

        using HttpRequestMessage next = rig.Get(protocol, NginxFiles.Medium);
        using HttpResponseMessage again = await client.SendAsync(next, cts.Token);
        again.EnsureSuccessStatusCode();
        byte[] bytes = await again.Content.ReadAsByteArrayAsync(cts.Token);
        Assert.Equal(rig.Nginx.Files.Sha256(NginxFiles.Medium), System.Security.Cryptography.SHA256.HashData(bytes));

        NginxAccess after = await rig.Nginx.WaitForAccessAsync(a => a.Uri == "/" + NginxFiles.Medium, cts.Token);
        if (protocol == NginxProtocol.Http11)
        {
            // An HTTP/1.1 connection cannot skip the rest of a body: it is closed, and the next request opens another.
            Assert.Equal(2, connections);
            Assert.NotEqual(cancelled.Connection, after.Connection);
        }
        else
        {
            // HTTP/2 resets the one stream; the connection carries on.
            Assert.Equal(1, connections);
            Assert.Equal(cancelled.Connection, after.Connection);
            Assert.Equal(2, after.ConnectionRequests);
        }

        output.WriteLine($"{protocol}: cancelled after {read} of {total} bytes; nginx sent {cancelled.BodyBytesSent}; connections opened: {connections}");
    }
}
