using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Smolmix.Echo;
using Smolmix.Http.Tests.Support;

namespace Smolmix.Http.Tests.Grpc;

/// <summary>One <see cref="HttpRig"/> serving <see cref="EchoService"/>, shared by a test class.</summary>
public sealed class GrpcRig : IAsyncLifetime
{
    private HttpRig? _rig;

    internal HttpRig Rig => _rig ?? throw new InvalidOperationException("The rig is not started.");

    /// <summary>The site's base address for a transport: "https" (h2 by ALPN) or "h2c".</summary>
    public Uri Base(string transport) => transport switch
    {
        "https" => Rig.HttpsBase,
        "h2c" => Rig.H2cBase,
        _ => throw new ArgumentOutOfRangeException(nameof(transport), transport, null),
    };

    public async Task InitializeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        _rig = await HttpRig.StartAsync(app => app.MapGrpcService<EchoService>(), services: s => s.AddGrpc(), cancellationToken: cts.Token);
    }

    public async Task DisposeAsync()
    {
        if (_rig is not null)
        {
            await _rig.DisposeAsync();
        }
    }
}
