using System.Security.Authentication;
using Smolmix.Http.Tests.Support;
using Xunit.Abstractions;

namespace Smolmix.Http.Tests.Nginx;

/// <summary>nginx's certificate is checked: an unknown CA or a certificate for another name is refused before any request is sent.</summary>
[Collection(NginxCollection.Name)]
public sealed class NginxCertificateTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    [SkippableTheory]
    [InlineData(NginxProtocol.Http11)]
    [InlineData(NginxProtocol.Http2)]
    public async Task A_certificate_from_an_unknown_CA_is_refused(NginxProtocol protocol)
    {
        using var cts = new CancellationTokenSource(Limit);
        await using NginxRig rig = await NginxRig.StartAsync(cts.Token);
        using var client = new HttpClient(SmolmixHandler.Create(rig.Tunnel)); // system roots only
        using HttpRequestMessage request = rig.Get(protocol, NginxFiles.Small);

        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => client.SendAsync(request, cts.Token));

        output.WriteLine(ex.ToString());
        Assert.Equal(HttpRequestError.SecureConnectionError, ex.HttpRequestError);
        Assert.IsType<AuthenticationException>(ex.InnerException);
        Assert.Empty(rig.Nginx.AccessLog());
    }

    [SkippableTheory]
    [InlineData(NginxProtocol.Http11)]
    [InlineData(NginxProtocol.Http2)]
    public async Task A_certificate_for_another_name_is_refused(NginxProtocol protocol)
    {
        using var cts = new CancellationTokenSource(Limit);
        await using NginxRig rig = await NginxRig.StartAsync(cts.Token);
        using var client = new HttpClient(rig.Handler(protocol)); // trusts the CA that issued nginx's certificate
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(rig.OtherBase, NginxFiles.Small))
        {
            Version = NginxRig.VersionOf(protocol),
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => client.SendAsync(request, cts.Token));

        output.WriteLine(ex.ToString());
        Assert.Equal(HttpRequestError.SecureConnectionError, ex.HttpRequestError);
        Assert.IsType<AuthenticationException>(ex.InnerException);
        Assert.Empty(rig.Nginx.AccessLog());
    }
}
