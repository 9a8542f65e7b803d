using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Smolmix.Examples.HttpClientFactory;

/// <summary>
/// A stand-in for a website, for the embedded mode only: HTTPS (HTTP/1.1, keep-alive) on 127.0.0.1 with
/// /hello and /time. Not part of what the example shows; a real application talks to real sites.
/// </summary>
internal sealed class DemoServer : IAsyncDisposable
{
    private readonly System.Net.Sockets.TcpListener _listener;
    private readonly X509Certificate2 _certificate;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    private DemoServer(X509Certificate2 certificate)
    {
        _certificate = certificate;
        _listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    public static DemoServer Start(X509Certificate2 certificate) => new(certificate);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting.WaitAsync(TimeSpan.FromSeconds(5));
        _stop.Dispose();
        _certificate.Dispose();
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                TcpClient client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = ServeAsync(client);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                await using var tls = new SslStream(client.GetStream());
                using var handshake = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                handshake.CancelAfter(TimeSpan.FromSeconds(60));
                await tls.AuthenticateAsServerAsync(
                    new SslServerAuthenticationOptions { ServerCertificate = _certificate, ApplicationProtocols = [SslApplicationProtocol.Http11] },
                    handshake.Token);
                using var reader = new StreamReader(tls, Encoding.ASCII, false, 4096, leaveOpen: true);
                while (await reader.ReadLineAsync(_stop.Token) is { Length: > 0 } requestLine)
                {
                    while (await reader.ReadLineAsync(_stop.Token) is { Length: > 0 })
                    {
                        // Headers: a GET has no body, so skip to the blank line.
                    }

                    string path = requestLine.Split(' ') is [_, var p, ..] ? p : "/";
                    (int status, string body) = path switch
                    {
                        "/hello" => (200, "hello from the demo server, through the mixnet\n"),
                        "/time" => (200, $"server time {DateTimeOffset.UtcNow:HH:mm:ss.fff} UTC\n"),
                        _ => (404, "not here\n"),
                    };
                    byte[] content = Encoding.UTF8.GetBytes(body);
                    string head = $"HTTP/1.1 {status} {(status == 200 ? "OK" : "Not Found")}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {content.Length}\r\n\r\n";
                    await tls.WriteAsync(Encoding.ASCII.GetBytes(head), _stop.Token);
                    await tls.WriteAsync(content, _stop.Token);
                }
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException or System.Security.Authentication.AuthenticationException)
            {
            }
        }
    }
}
