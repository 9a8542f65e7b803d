using System.Net.Sockets;
using System.Security.Authentication;

namespace Smolmix.Cli;

/// <summary>The exit codes of `smolmix get`: curl's where curl has one, so scripts can test them the same way.</summary>
internal static class CurlExitCode
{
    public const int Ok = 0;
    public const int UnsupportedProtocol = 1;
    public const int Usage = 2;
    public const int MalformedUrl = 3;
    public const int CouldNotResolveHost = 6;
    public const int CouldNotConnect = 7;
    public const int WeirdServerReply = 8;
    public const int HttpError = 22;
    public const int WriteError = 23;
    public const int TimedOut = 28;
    public const int TlsFailure = 35;
    public const int EmptyReply = 52;
    public const int ReceiveError = 56;
    public const int CaCertificateProblem = 77;
    public const int Interrupted = 130;

    /// <summary>The exit code and a short description for a failed request.</summary>
    public static (int Code, string What) For(Exception exception)
    {
        if (Has<TimeoutException>(exception) || Has<SocketException>(exception, s => s.SocketErrorCode == SocketError.TimedOut))
        {
            return (TimedOut, "timed out");
        }

        if (exception is HttpRequestException http)
        {
            switch (http.HttpRequestError)
            {
                case HttpRequestError.NameResolutionError:
                    return (CouldNotResolveHost, "could not resolve host");
                case HttpRequestError.SecureConnectionError:
                    return (TlsFailure, "TLS handshake failed");
                case HttpRequestError.ConnectionError:
                    return (CouldNotConnect, "could not connect");
                case HttpRequestError.ResponseEnded:
                    return (EmptyReply, "the server closed the connection");
                case HttpRequestError.InvalidResponse:
                    return (WeirdServerReply, "invalid response");
            }
        }

        if (Has<AuthenticationException>(exception))
        {
            return (TlsFailure, "TLS handshake failed");
        }

        return (ReceiveError, "receive failed");
    }

    /// <summary>The innermost message, which says most (a SocketException's, a TLS error's); the caller says what failed.</summary>
    public static string Message(Exception exception)
    {
        Exception inner = exception;
        while (inner.InnerException is { } next)
        {
            inner = next;
        }

        return inner.Message.Length == 0 ? exception.Message : inner.Message;
    }

    private static bool Has<T>(Exception? exception, Func<T, bool>? test = null)
        where T : Exception
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is T t && (test is null || test(t)))
            {
                return true;
            }
        }

        return false;
    }
}
