using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Smolmix.Tls;

/// <summary>
/// TLS clients over tunnel streams: <see cref="SslStream"/> with SNI, ALPN and validation, set up so
/// that no certificate-related fetch can leave outside the tunnel.
/// </summary>
public static class TunnelTls
{
    /// <summary>
    /// Builds the <see cref="SslClientAuthenticationOptions"/> for <paramref name="targetHost"/>: SNI
    /// and the name check for it, ALPN, the allowed versions, an offline chain policy (no downloads,
    /// revocation as configured), custom roots and pins.
    /// </summary>
    /// <param name="targetHost">The server's host name (sent as SNI, checked against the certificate).</param>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <returns>Options for <see cref="SslStream.AuthenticateAsClientAsync(SslClientAuthenticationOptions, CancellationToken)"/> (or <c>SocketsHttpHandler.SslOptions</c>).</returns>
    /// <exception cref="ArgumentException">A setting is not allowed.</exception>
    public static SslClientAuthenticationOptions CreateClientOptions(string targetHost, TunnelTlsOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(targetHost);
        SslClientAuthenticationOptions ssl = CreateClientOptions(options);
        ssl.TargetHost = targetHost;
        return ssl;
    }

    /// <summary>The same as <see cref="CreateClientOptions(string, TunnelTlsOptions?)"/> without a host (a handler fills it in per connection).</summary>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <returns>The options.</returns>
    public static SslClientAuthenticationOptions CreateClientOptions(TunnelTlsOptions? options)
    {
        options ??= new TunnelTlsOptions();
        options.Validate();
        var policy = new X509ChainPolicy
        {
            DisableCertificateDownloads = true,
            RevocationMode = options.RevocationMode,
            RevocationFlag = X509RevocationFlag.ExcludeRoot,
        };
        if (options.TrustedRoots is { Count: > 0 } roots)
        {
            policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            policy.CustomTrustStore.AddRange(roots);
        }

        byte[][] pins = [.. (options.PinnedPublicKeys ?? []).Select(Convert.FromBase64String)];
        Func<X509Certificate2, X509Chain, bool>? extra = options.AdditionalValidation;
        return new SslClientAuthenticationOptions
        {
            EnabledSslProtocols = options.EnabledProtocols,
            ApplicationProtocols = [.. options.ApplicationProtocols ?? []],
            CertificateRevocationCheckMode = options.RevocationMode,
            CertificateChainPolicy = policy,
            AllowTlsResume = options.AllowResumption,
            RemoteCertificateValidationCallback = pins.Length == 0 && extra is null ? null : (_, certificate, chain, errors) =>
                errors == SslPolicyErrors.None && certificate is X509Certificate2 leaf && chain is not null
                && (pins.Length == 0 || ChainHasPinnedKey(chain, pins))
                && (extra is null || extra(leaf, chain)),
        };
    }

    /// <summary>
    /// Runs a TLS client handshake over <paramref name="stream"/> (a <see cref="TcpStream"/> from the
    /// tunnel, usually), bounded by <see cref="TunnelTlsOptions.HandshakeTimeout"/>.
    /// </summary>
    /// <param name="stream">The connected stream; the returned <see cref="SslStream"/> owns it.</param>
    /// <param name="targetHost">The server's host name.</param>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the handshake.</param>
    /// <returns>The authenticated stream.</returns>
    /// <exception cref="AuthenticationException">The server's certificate was refused or no protocol could be agreed.</exception>
    /// <exception cref="TimeoutException">The handshake did not finish in time.</exception>
    public static async Task<SslStream> AuthenticateAsClientAsync(Stream stream, string targetHost, TunnelTlsOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        options ??= new TunnelTlsOptions();
        SslClientAuthenticationOptions ssl = CreateClientOptions(targetHost, options);
        var tls = new SslStream(stream, leaveInnerStreamOpen: false);
        using var timeout = new CancellationTokenSource(options.HandshakeTimeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            await tls.AuthenticateAsClientAsync(ssl, linked.Token).ConfigureAwait(false);
            return tls;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw new TimeoutException($"The TLS handshake with {targetHost} did not finish within {options.HandshakeTimeout.TotalSeconds:0.#} s.");
        }
        catch
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Connects through <paramref name="network"/> and runs the TLS handshake: a TLS stream to <paramref name="remote"/> in one call.</summary>
    /// <param name="network">A <see cref="Tunnel"/> or a <see cref="NetStack"/>.</param>
    /// <param name="remote">The server's address and port.</param>
    /// <param name="targetHost">The server's host name.</param>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the connect and the handshake.</param>
    /// <returns>The authenticated stream.</returns>
    public static async Task<SslStream> ConnectAsync(IVirtualNetwork network, IPEndPoint remote, string targetHost, TunnelTlsOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        TcpStream tcp = await network.ConnectTcpAsync(remote, cancellationToken).ConfigureAwait(false);
        return await AuthenticateAsClientAsync(tcp, targetHost, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The base64 SHA-256 pin of a certificate's public key (SubjectPublicKeyInfo), for <see cref="TunnelTlsOptions.PinnedPublicKeys"/>.</summary>
    /// <param name="certificate">The certificate.</param>
    /// <returns>The pin.</returns>
    public static string PublicKeyPin(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Convert.ToBase64String(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));
    }

    private static bool ChainHasPinnedKey(X509Chain chain, byte[][] pins)
    {
        foreach (X509ChainElement element in chain.ChainElements)
        {
            byte[] hash = SHA256.HashData(element.Certificate.PublicKey.ExportSubjectPublicKeyInfo());
            if (pins.Any(p => p.AsSpan().SequenceEqual(hash)))
            {
                return true;
            }
        }

        return false;
    }
}
