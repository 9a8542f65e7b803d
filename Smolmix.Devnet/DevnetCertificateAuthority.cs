using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Smolmix.Devnet;

/// <summary>
/// A certificate authority made at run time, for HTTPS and DNS-over-TLS services behind a Devnet:
/// trust <see cref="Certificate"/> on the client (for example in <c>TunnelTlsOptions.TrustedRoots</c>)
/// and give each service a certificate from <see cref="IssueServerCertificate"/>. Keys are ECDSA
/// P-256 and live only in memory (and in the files you export them to).
/// </summary>
public sealed class DevnetCertificateAuthority : IDisposable
{
    private readonly ECDsa _key;

    private DevnetCertificateAuthority(ECDsa key, X509Certificate2 certificate)
    {
        _key = key;
        Certificate = certificate;
    }

    /// <summary>The CA certificate (public part only): the root to trust.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Makes a new CA, valid from one hour ago for <paramref name="validity"/> (default 7 days).</summary>
    /// <param name="name">The CA's common name.</param>
    /// <param name="validity">How long it is valid.</param>
    /// <returns>The CA.</returns>
    public static DevnetCertificateAuthority Create(string name = "Smolmix Devnet Test CA", TimeSpan? validity = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using X509Certificate2 withKey = request.CreateSelfSigned(now.AddHours(-1), now + (validity ?? TimeSpan.FromDays(7)));
        return new DevnetCertificateAuthority(key, X509CertificateLoader.LoadCertificate(withKey.Export(X509ContentType.Cert)));
    }

    /// <summary>
    /// Issues a server certificate (with its private key) for <paramref name="dnsNames"/> and any
    /// <paramref name="addresses"/>, usable by Kestrel, <c>SslStream</c> or (exported) nginx.
    /// </summary>
    /// <param name="dnsNames">The names it is valid for (the first is also the common name).</param>
    /// <param name="addresses">IP addresses it is valid for.</param>
    /// <returns>The certificate with its key.</returns>
    public X509Certificate2 IssueServerCertificate(IReadOnlyList<string> dnsNames, IReadOnlyList<IPAddress>? addresses = null)
    {
        ArgumentNullException.ThrowIfNull(dnsNames);
        if (dnsNames.Count == 0)
        {
            throw new ArgumentException("At least one name is needed.", nameof(dnsNames));
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={dnsNames[0]}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (string name in dnsNames)
        {
            san.AddDnsName(name);
        }

        foreach (IPAddress address in addresses ?? [])
        {
            san.AddIpAddress(address);
        }

        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using X509Certificate2 issued = request.Create(Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(_key), now.AddHours(-1), Certificate.NotAfter.AddMinutes(-1), serial);
        using X509Certificate2 withKey = issued.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>Writes a certificate and its private key as PEM files (for nginx and the like).</summary>
    /// <param name="certificate">A certificate with its private key.</param>
    /// <param name="certificatePath">Where the certificate goes.</param>
    /// <param name="keyPath">Where the key goes (PKCS#8).</param>
    public static void ExportPem(X509Certificate2 certificate, string certificatePath, string keyPath)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        using ECDsa key = certificate.GetECDsaPrivateKey() ?? throw new ArgumentException("The certificate has no ECDSA private key.", nameof(certificate));
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _key.Dispose();
        Certificate.Dispose();
    }
}
