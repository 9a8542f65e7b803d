using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Smolmix.Tls;

/// <summary>
/// How a TLS client over the tunnel validates servers. The defaults are strict and private: the
/// system's roots, the host name checked, TLS 1.2 or 1.3 (1.3 preferred), and a chain built from
/// what the server sent and what is on this machine only — no intermediate certificate download
/// (AIA) and no online revocation check, both of which would leave outside the mixnet.
/// </summary>
public sealed class TunnelTlsOptions
{
    /// <summary>The protocols offered with ALPN, most preferred first. Default <c>h2</c>, <c>http/1.1</c>.</summary>
    public IList<SslApplicationProtocol> ApplicationProtocols { get; set; } = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11];

    /// <summary>The TLS versions allowed. Default TLS 1.2 and 1.3 (the platform picks 1.3 when the server has it).</summary>
    public SslProtocols EnabledProtocols { get; set; } = SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <summary>Roots to trust instead of the system's (for a private CA); null for the system's.</summary>
    public X509Certificate2Collection? TrustedRoots { get; set; }

    /// <summary>
    /// Public-key pins: base64 SHA-256 hashes of a SubjectPublicKeyInfo (as in HPKP, <c>openssl x509 -pubkey
    /// | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64</c>). When any are given,
    /// the validated chain must contain a certificate with one of these keys. Empty by default.
    /// </summary>
    public IList<string> PinnedPublicKeys { get; set; } = [];

    /// <summary>
    /// Revocation checking. <see cref="X509RevocationMode.NoCheck"/> (default) or
    /// <see cref="X509RevocationMode.Offline"/> (cached CRLs on this machine only).
    /// <see cref="X509RevocationMode.Online"/> is refused: the platform would fetch CRLs and OCSP
    /// responses outside the tunnel.
    /// </summary>
    public X509RevocationMode RevocationMode { get; set; } = X509RevocationMode.NoCheck;

    /// <summary>
    /// Resume TLS sessions on new connections to the same host (fewer round trips through the mixnet).
    /// A resumed session links the two connections for the server; turn it off when that matters.
    /// Default true.
    /// </summary>
    public bool AllowResumption { get; set; } = true;

    /// <summary>The bound on a handshake. Default 60 s (a TLS handshake is one or two mixnet round trips).</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// An extra check after the built-in validation has passed (it is not called for a certificate
    /// that failed): return false to refuse the server.
    /// </summary>
    public Func<X509Certificate2, X509Chain, bool>? AdditionalValidation { get; set; }

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A setting is not allowed.</exception>
    public void Validate()
    {
        if (RevocationMode == X509RevocationMode.Online)
        {
            throw new ArgumentException("Online revocation checks would fetch CRLs and OCSP responses outside the tunnel; use NoCheck or Offline.", nameof(RevocationMode));
        }

        if (HandshakeTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(HandshakeTimeout), HandshakeTimeout, "Must be positive.");
        }

        Span<byte> hash = stackalloc byte[48];
        foreach (string pin in PinnedPublicKeys ?? [])
        {
            if (!Convert.TryFromBase64String(pin ?? string.Empty, hash, out int n) || n != 32)
            {
                throw new ArgumentException($"'{pin}' is not a base64 SHA-256 hash (32 bytes).", nameof(PinnedPublicKeys));
            }
        }
    }
}
