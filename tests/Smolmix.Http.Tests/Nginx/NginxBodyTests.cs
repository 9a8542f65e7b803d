using System.Diagnostics;
using System.Security.Cryptography;
using Smolmix.Http.Tests.Support;
using Xunit.Abstractions;

namespace Smolmix.Http.Tests.Nginx;

/// <summary>Static files from Debian's nginx through the Devnet arrive byte for byte, over HTTP/1.1, HTTP/2 and h2c.</summary>
[Collection(NginxCollection.Name)]
public sealed class NginxBodyTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    [SkippableTheory]
    [InlineData(NginxProtocol.Http11, NginxFiles.Small)]
    [InlineData(NginxProtocol.Http11, NginxFiles.Medium)]
    [InlineData(NginxProtocol.Http11, NginxFiles.Large)]
    [InlineData(NginxProtocol.Http2, NginxFiles.Small)]
    [InlineData(NginxProtocol.Http2, NginxFiles.Medium)]
    [InlineData(NginxProtocol.Http2, NginxFiles.Large)]
    [InlineData(NginxProtocol.H2c, NginxFiles.Small)]
    [InlineData(NginxProtocol.H2c, NginxFiles.Medium)]
    [InlineData(NginxProtocol.H2c, NginxFiles.Large)]
    public async Task A_static_file_arrives_byte_exact(NginxProtocol protocol, string file)
    {
        using var cts = new CancellationTokenSource(Limit);
        await using NginxRig rig = await NginxRig.StartAsync(cts.Token);
        using var client = new HttpClient(rig.Handler(protocol));
        using HttpRequestMessage request = rig.Get(protocol, file);

        var clock = Stopwatch.StartNew();
        using HttpResponseMessage response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        response.EnsureSuccessStatusCode();
        Assert.Equal(NginxRig.VersionOf(protocol), response.Version);
        Assert.Equal(rig.Nginx.Files.Length(file), response.Content.Headers.ContentLength);
        (long length, byte[] sha256) = await HashAsync(await response.Content.ReadAsStreamAsync(cts.Token), cts.Token);
        clock.Stop();

        Assert.Equal(rig.Nginx.Files.Length(file), length);
        Assert.Equal(rig.Nginx.Files.Sha256(file), sha256);
        output.WriteLine($"{file} over {protocol}: {length} bytes in {clock.Elapsed.TotalMilliseconds:F0} ms ({length / 1048576.0 / clock.Elapsed.TotalSeconds:F1} MiB/s)");
    }

    internal static async Task<(long Length, byte[] Sha256)> HashAsync(Stream body, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[64 * 1024];
        long length = 0;
        int n;
        while ((n = await body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            hash.AppendData(buffer, 0, n);
            length += n;
        }

        return (length, hash.GetHashAndReset());
    }
}
