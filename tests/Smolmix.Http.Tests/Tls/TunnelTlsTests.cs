using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Smolmix.Devnet;
using Smolmix.Http.Tests.Support;
using Smolmix.Tls;

namespace Smolmix.Http.Tests.Tls;

/// <summary>TLS over tunnel streams: validation, pins, ALPN and the handshake bound, over an in-memory stack pair.</summary>
public sealed class TunnelTlsTests
{
    private const string Name = "tls.smolmix.test";
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private static async Task<(StackPair Pair, Task Server)> ServeAsync(X509Certificate2 certificate, int port, CancellationToken cancellationToken, bool speakTls = true)
    {
        var pair = new StackPair();
        TcpStreamListener listener = pair.Server.Listen(port);
        Task server = Task.Run(async () =>
        {
            using (listener)
            {
                while (!cancellationToken.IsCancellationRequested)
                {
                    TcpStream s = await listener.AcceptAsync(cancellationToken);
                    _ = Task.Run(async () =>
                    {
                        if (!speakTls)
                        {
                            await Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith(_ => s.Dispose(), TaskScheduler.Default);
                            return;
                        }

                        await using var tls = new SslStream(s);
                        try
                        {
                            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                            {
                                ServerCertificate = certificate,
                                ApplicationProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11],
                            }, cancellationToken);
                            await tls.WriteAsync("hello"u8.ToArray(), cancellationToken);
                            await tls.FlushAsync(cancellationToken);
                        }
                        catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException or ObjectDisposedException)
                        {
                            // A refused client ends the handshake; that is what some tests want.
                        }
                    }, cancellationToken);
                }
            }
        }, cancellationToken);
        await Task.Yield();
        return (pair, server);
    }

    [Fact]
    public async Task A_server_from_a_trusted_root_is_accepted_with_ALPN_h2()
    {
        using var cts = new CancellationTokenSource(Limit);
        using var ca = DevnetCertificateAuthority.Create();
        var (pair, _) = await ServeAsync(ca.IssueServerCertificate([Name]), 443, cts.Token);
        await using (pair)
        {
            await using SslStream tls = await TunnelTls.ConnectAsync(pair.Client, new IPEndPoint(StackPair.ServerAddress, 443), Name,
                new TunnelTlsOptions { TrustedRoots = new X509Certificate2Collection(ca.Certificate) }, cts.Token);

            Assert.Equal(SslApplicationProtocol.Http2, tls.NegotiatedApplicationProtocol);
            Assert.True(tls.SslProtocol is SslProtocols.Tls13 or SslProtocols.Tls12);
            var buffer = new byte[5];
            await tls.ReadExactlyAsync(buffer, cts.Token);
            Assert.Equal("hello"u8.ToArray(), buffer);
        }
    }

    [Fact]
    public async Task An_untrusted_root_or_a_wrong_name_is_refused()
    {
        using var cts = new CancellationTokenSource(Limit);
        using var ca = DevnetCertificateAuthority.Create();
        var (pair, _) = await ServeAsync(ca.IssueServerCertificate([Name]), 443, cts.Token);
        await using (pair)
        {
            var server = new IPEndPoint(StackPair.ServerAddress, 443);
            await Assert.ThrowsAsync<AuthenticationException>(() => TunnelTls.ConnectAsync(pair.Client, server, Name, null, cts.Token));
            await Assert.ThrowsAsync<AuthenticationException>(() => TunnelTls.ConnectAsync(pair.Client, server, "other.smolmix.test",
                new TunnelTlsOptions { TrustedRoots = new X509Certificate2Collection(ca.Certificate) }, cts.Token));
        }
    }

    [Fact]
    public async Task A_pin_on_the_leaf_or_the_root_is_accepted_and_any_other_pin_refused()
    {
        using var cts = new CancellationTokenSource(Limit);
        using var ca = DevnetCertificateAuthority.Create();
        using var other = DevnetCertificateAuthority.Create("Another CA");
        X509Certificate2 leaf = ca.IssueServerCertificate([Name]);
        var (pair, _) = await ServeAsync(leaf, 443, cts.Token);
        await using (pair)
        {
            var server = new IPEndPoint(StackPair.ServerAddress, 443);
            TunnelTlsOptions Pinned(X509Certificate2 pin) => new() { TrustedRoots = new X509Certificate2Collection(ca.Certificate), PinnedPublicKeys = [TunnelTls.PublicKeyPin(pin)] };

            await using (await TunnelTls.ConnectAsync(pair.Client, server, Name, Pinned(leaf), cts.Token))
            {
            }

            await using (await TunnelTls.ConnectAsync(pair.Client, server, Name, Pinned(ca.Certificate), cts.Token))
            {
            }

            await Assert.ThrowsAsync<AuthenticationException>(() => TunnelTls.ConnectAsync(pair.Client, server, Name, Pinned(other.Certificate), cts.Token));
        }
    }

    [Fact]
    public async Task A_server_that_never_answers_the_handshake_times_out()
    {
        using var cts = new CancellationTokenSource(Limit);
        using var ca = DevnetCertificateAuthority.Create();
        var (pair, _) = await ServeAsync(ca.IssueServerCertificate([Name]), 443, cts.Token, speakTls: false);
        await using (pair)
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            await Assert.ThrowsAsync<TimeoutException>(() => TunnelTls.ConnectAsync(pair.Client, new IPEndPoint(StackPair.ServerAddress, 443), Name,
                new TunnelTlsOptions { HandshakeTimeout = TimeSpan.FromSeconds(1) }, cts.Token));
            Assert.InRange(sw.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
        }
    }

    [Fact]
    public void Options_that_would_leak_or_are_malformed_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new TunnelTlsOptions { RevocationMode = X509RevocationMode.Online }.Validate());
        Assert.Throws<ArgumentException>(() => new TunnelTlsOptions { PinnedPublicKeys = ["not base64"] }.Validate());
        Assert.Throws<ArgumentException>(() => new TunnelTlsOptions { PinnedPublicKeys = [Convert.ToBase64String(new byte[20])] }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new TunnelTlsOptions { HandshakeTimeout = TimeSpan.Zero }.Validate());

        SslClientAuthenticationOptions o = TunnelTls.CreateClientOptions(Name);
        Assert.True(o.CertificateChainPolicy!.DisableCertificateDownloads);
        Assert.Equal(X509RevocationMode.NoCheck, o.CertificateChainPolicy.RevocationMode);
        Assert.Equal(Name, o.TargetHost);
    }
}
