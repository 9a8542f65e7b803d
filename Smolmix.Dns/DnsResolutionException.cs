using System.Net.Sockets;

namespace Smolmix.Dns;

/// <summary>
/// A name could not be resolved. It is a <see cref="SocketException"/> with the code .NET's own
/// resolver uses for the same case (<see cref="SocketError.HostNotFound"/> for a name that does not
/// exist, <see cref="SocketError.NoData"/> for a name without records of the asked type,
/// <see cref="SocketError.TryAgain"/> for a server failure or no answer in time), so code written
/// for <c>Dns.GetHostAddressesAsync</c> handles it unchanged; it also carries the DNS detail.
/// </summary>
public sealed class DnsResolutionException : SocketException
{
    private readonly string _message;

    /// <summary>Creates the exception.</summary>
    /// <param name="error">The socket error code.</param>
    /// <param name="hostName">The name asked for.</param>
    /// <param name="recordType">The record type asked for.</param>
    /// <param name="responseCode">The server's response code, or null when no server answered.</param>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public DnsResolutionException(SocketError error, string hostName, DnsRecordType recordType, DnsResponseCode? responseCode, string message, Exception? innerException = null)
        : base((int)error)
    {
        HostName = hostName;
        RecordType = recordType;
        ResponseCode = responseCode;
        _message = message;
        InnerDetail = innerException;
    }

    /// <summary>The name that was asked for.</summary>
    public string HostName { get; }

    /// <summary>The record type that was asked for.</summary>
    public DnsRecordType RecordType { get; }

    /// <summary>The response code of the last server that answered, or null when none answered in time.</summary>
    public DnsResponseCode? ResponseCode { get; }

    /// <summary>The underlying failure (a timeout, a TLS error, a lost tunnel), if any.</summary>
    public Exception? InnerDetail { get; }

    /// <inheritdoc />
    public override string Message => _message;
}
