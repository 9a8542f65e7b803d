using System.Net;

namespace Smolmix.Http;

/// <summary>
/// The tunnel registered by <see cref="SmolmixServiceCollectionExtensions.AddSmolmixTunnel(Microsoft.Extensions.DependencyInjection.IServiceCollection, Action{TunnelOptions})"/>:
/// connected on first use (and kept), so the container can hand out handlers before the tunnel is up.
/// </summary>
internal sealed class DeferredTunnel : IVirtualNetwork, IAsyncDisposable
{
    private readonly TunnelOptions _options;
    private readonly object _lock = new();
    private Task<Tunnel>? _tunnel;

    public DeferredTunnel(TunnelOptions options) => _options = options;

    public IPAddress IPv4Address => Connected.IPv4Address;

    public IPAddress? IPv6Address => _tunnel is { IsCompletedSuccessfully: true } t ? t.Result.IPv6Address : null;

    private Tunnel Connected => _tunnel is { IsCompletedSuccessfully: true } t ? t.Result : throw new InvalidOperationException("The tunnel is not connected yet.");

    public Task<Tunnel> GetTunnelAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_tunnel is null || _tunnel.IsFaulted || _tunnel.IsCanceled)
            {
                _tunnel = Tunnel.ConnectAsync(_options, CancellationToken.None);
            }

            return _tunnel.WaitAsync(cancellationToken);
        }
    }

    public async Task<TcpStream> ConnectTcpAsync(IPEndPoint remote, CancellationToken cancellationToken = default)
    {
        Tunnel tunnel = await GetTunnelAsync(cancellationToken).ConfigureAwait(false);
        return await tunnel.ConnectTcpAsync(remote, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<UdpSocket> BindUdpAsync(int port = 0, CancellationToken cancellationToken = default)
    {
        Tunnel tunnel = await GetTunnelAsync(cancellationToken).ConfigureAwait(false);
        return await tunnel.BindUdpAsync(port, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        Task<Tunnel>? t;
        lock (_lock)
        {
            t = _tunnel;
        }

        if (t is { IsCompletedSuccessfully: true })
        {
            await t.Result.DisposeAsync().ConfigureAwait(false);
        }
    }
}
