using System.Net;

namespace Smolmix.Dns;

/// <summary>
/// A recursive DNS server reached through the tunnel: its address, and how to speak to it (UDP with
/// a TCP fallback, or DNS over TLS).
/// </summary>
public sealed record DnsServer
{
    /// <summary>Quad9 (9.9.9.9), plain DNS.</summary>
    public static readonly DnsServer Quad9 = new(new IPEndPoint(IPAddress.Parse("9.9.9.9"), 53));

    /// <summary>Cloudflare (1.1.1.1), plain DNS.</summary>
    public static readonly DnsServer Cloudflare = new(new IPEndPoint(IPAddress.Parse("1.1.1.1"), 53));

    /// <summary>Quad9 over TLS (9.9.9.9:853, certificate name <c>dns.quad9.net</c>).</summary>
    public static readonly DnsServer Quad9Tls = Tls(new IPEndPoint(IPAddress.Parse("9.9.9.9"), 853), "dns.quad9.net");

    /// <summary>Cloudflare over TLS (1.1.1.1:853, certificate name <c>cloudflare-dns.com</c>).</summary>
    public static readonly DnsServer CloudflareTls = Tls(new IPEndPoint(IPAddress.Parse("1.1.1.1"), 853), "cloudflare-dns.com");

    /// <summary>The servers a resolver uses when none are configured: Quad9, then Cloudflare, both reached through the exit.</summary>
    public static IReadOnlyList<DnsServer> Defaults { get; } = [Quad9, Cloudflare];

    /// <summary>A plain DNS server (UDP, TCP when an answer is truncated).</summary>
    /// <param name="endPoint">The server's address and port (usually 53).</param>
    public DnsServer(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        EndPoint = endPoint;
    }

    /// <summary>A DNS-over-TLS server (RFC 7858).</summary>
    /// <param name="endPoint">The server's address and port (usually 853).</param>
    /// <param name="tlsHostName">The name its certificate must carry (also sent as SNI).</param>
    /// <returns>The server.</returns>
    public static DnsServer Tls(IPEndPoint endPoint, string tlsHostName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tlsHostName);
        return new DnsServer(endPoint) { TlsHostName = tlsHostName };
    }

    /// <summary>The server's address and port.</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>For DNS over TLS, the name the server's certificate must carry; null for plain DNS.</summary>
    public string? TlsHostName { get; init; }

    /// <summary>True when queries go over TLS.</summary>
    public bool UsesTls => TlsHostName is not null;

    /// <summary>The server in a form for logs, e.g. <c>9.9.9.9:53</c> or <c>tls://dns.quad9.net@9.9.9.9:853</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => UsesTls ? $"tls://{TlsHostName}@{EndPoint}" : EndPoint.ToString();
}
