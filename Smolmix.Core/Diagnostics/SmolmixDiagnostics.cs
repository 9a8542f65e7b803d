using System.Diagnostics;

namespace Smolmix;

/// <summary>
/// Names of the tracing source and activities Smolmix emits (see docs/DIAGNOSTICS.md). Listen with
/// OpenTelemetry's <c>AddSource(SmolmixDiagnostics.ActivitySourceName)</c> or an
/// <see cref="ActivityListener"/>. No activity carries a host name, address or URL by default.
/// </summary>
public static class SmolmixDiagnostics
{
    /// <summary>The <see cref="ActivitySource"/> name: "Smolmix".</summary>
    public const string ActivitySourceName = "Smolmix";

    /// <summary>Activity for <see cref="Tunnel.ConnectAsync"/>: nym-client, discovery and exit negotiation.</summary>
    public const string TunnelConnectActivity = "smolmix.tunnel.connect";

    /// <summary>Activity for <see cref="Tunnel.ConnectTcpAsync"/>: the TCP handshake through the exit (including any wait for the tunnel).</summary>
    public const string TcpConnectActivity = "smolmix.tcp.connect";

    /// <summary>Activity for a name lookup through the tunnel (Smolmix.Dns).</summary>
    public const string DnsResolveActivity = "smolmix.dns.resolve";

    /// <summary>Activity for an HTTP connection through the tunnel (Smolmix.Http): name lookup, TCP and TLS.</summary>
    public const string HttpConnectActivity = "smolmix.http.connect";

    /// <summary>The source every Smolmix package starts its activities on.</summary>
    public static ActivitySource ActivitySource { get; } = new(ActivitySourceName, typeof(SmolmixDiagnostics).Assembly.GetName().Version?.ToString(3));
}
