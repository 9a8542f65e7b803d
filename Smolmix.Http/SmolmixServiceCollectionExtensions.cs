using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Smolmix.Dns;

namespace Smolmix.Http;

/// <summary>
/// Dependency injection: one tunnel and one resolver per container, and named or typed
/// <see cref="HttpClient"/>s that go through them.
/// </summary>
/// <example>
/// <code>
/// services.AddSmolmixTunnel(o => o.Exits = ["&lt;IPR address&gt;"]);
/// services.AddHttpClient("mixed").UseSmolmix();
/// </code>
/// </example>
public static class SmolmixServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="Tunnel"/> (as <see cref="IVirtualNetwork"/>, connected on first use and
    /// disposed with the container) and a shared <see cref="TunnelResolver"/>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the tunnel's options (nym-client URI, exits, ...).</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddSmolmixTunnel(this IServiceCollection services, Action<TunnelOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new TunnelOptions();
        configure(options);
        options.Validate();
        services.TryAddSingleton<IVirtualNetwork>(sp =>
        {
            options.LoggerFactory ??= sp.GetService<ILoggerFactory>();
            return new DeferredTunnel(options);
        });
        return AddResolver(services);
    }

    /// <summary>Registers an existing network (a connected <see cref="Tunnel"/>) and a shared <see cref="TunnelResolver"/>; the container does not dispose the network.</summary>
    /// <param name="services">The services.</param>
    /// <param name="network">The tunnel.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddSmolmixTunnel(this IServiceCollection services, IVirtualNetwork network)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(network);
        services.TryAddSingleton(network);
        return AddResolver(services);
    }

    /// <summary>
    /// Sends this client's requests through the registered tunnel: a <see cref="SmolmixHandler"/> as
    /// the primary handler, sharing the container's resolver; the handler is kept for the life of
    /// the container (rotating it would throw away mixnet connections that took seconds to open;
    /// pooled connections are renewed by <see cref="SmolmixHandlerOptions.PooledConnectionLifetime"/>);
    /// and the factory's request logging (which writes request URLs) is removed.
    /// </summary>
    /// <param name="builder">The client builder from <c>AddHttpClient</c>.</param>
    /// <param name="configure">Adjusts the handler's options.</param>
    /// <returns>The builder.</returns>
    public static IHttpClientBuilder UseSmolmix(this IHttpClientBuilder builder, Action<SmolmixHandlerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.ConfigurePrimaryHttpMessageHandler(sp =>
        {
            var options = new SmolmixHandlerOptions
            {
                Resolver = sp.GetRequiredService<TunnelResolver>(),
                LoggerFactory = sp.GetService<ILoggerFactory>(),
            };
            configure?.Invoke(options);
            return SmolmixHandler.Create(sp.GetRequiredService<IVirtualNetwork>(), options);
        });
        builder.SetHandlerLifetime(Timeout.InfiniteTimeSpan);
        builder.RemoveAllLoggers();
        return builder;
    }

    private static IServiceCollection AddResolver(IServiceCollection services)
    {
        services.TryAddSingleton(sp => new TunnelResolver(
            sp.GetRequiredService<IVirtualNetwork>(),
            new TunnelResolverOptions { LoggerFactory = sp.GetService<ILoggerFactory>() }));
        return services;
    }
}
