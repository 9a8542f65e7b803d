namespace Smolmix.Http.Tests.Nginx;

/// <summary>How a test talks to nginx.</summary>
public enum NginxProtocol
{
    /// <summary>HTTPS, HTTP/1.1 (ALPN http/1.1).</summary>
    Http11,

    /// <summary>HTTPS, HTTP/2 (ALPN h2).</summary>
    Http2,

    /// <summary>Plain HTTP/2 with prior knowledge (<see cref="SmolmixHandlerOptions.PlaintextHttp2"/>).</summary>
    H2c,
}
