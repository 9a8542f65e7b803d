using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Smolmix.Tests.Infrastructure;

namespace Smolmix.Dns.Tests.Support;

/// <summary>
/// A real DNS server no one here wrote: Debian's <c>unbound</c>, started for one test on free 127.0.0.1 ports, serving
/// only <see cref="TestZone"/> (everything else REFUSED; it never recurses to the internet), over UDP and TCP at
/// <see cref="DnsEndPoint"/> and DNS over TLS at <see cref="TlsEndPoint"/> with a certificate for
/// <see cref="TlsServerName"/> (and IP 127.0.0.1) issued by <see cref="CaCertificate"/>, a CA made at run time.
/// </summary>
/// <remarks>
/// Use with <c>await using</c> from a <c>[SkippableFact]</c>: <see cref="StartAsync"/> skips the test when unbound is not
/// installed. unbound runs in the foreground (<c>unbound -d</c>) under a small <c>/bin/sh</c> watchdog that stops it
/// when its stdin closes, so it also goes away when the test process dies without disposing.
/// </remarks>
public sealed class UnboundServer : IAsyncDisposable
{
    /// <summary>The name in the DoT server certificate; send it as SNI.</summary>
    public const string TlsServerName = TestZone.DnsServerName;

    /// <summary>The EDNS UDP payload size unbound advertises (and the size the tests ask for).</summary>
    public const int EdnsPayloadSize = 1232;

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);
    private const int StartAttempts = 5;

    private readonly WatchedDaemon _process;
    private readonly DirectoryInfo _directory;
    private int _disposed;

    private UnboundServer(WatchedDaemon process, DirectoryInfo directory, IPEndPoint dns, IPEndPoint tls, X509Certificate2 ca)
    {
        _process = process;
        _directory = directory;
        DnsEndPoint = dns;
        TlsEndPoint = tls;
        CaCertificate = ca;
    }

    /// <summary>Plain DNS, UDP and TCP (same port), on 127.0.0.1.</summary>
    public IPEndPoint DnsEndPoint { get; }

    /// <summary>DNS over TLS (RFC 7858 framing: 2-byte length prefix) on 127.0.0.1.</summary>
    public IPEndPoint TlsEndPoint { get; }

    /// <summary>The test CA (public part only) that issued the DoT server certificate; trust it as a custom root.</summary>
    public X509Certificate2 CaCertificate { get; }

    /// <summary>The zone served, <see cref="TestZone.Name"/>.</summary>
    public string ZoneName => TestZone.Name;

    /// <summary>Process id of unbound's watchdog shell (unbound is its child).</summary>
    public int ProcessId => _process.ProcessId;

    /// <summary>What unbound has written to stderr so far (its log), for diagnostics.</summary>
    public string Log => _process.Output;

    /// <summary>Environment variable that names the unbound executable to use instead of searching PATH and /usr/sbin.</summary>
    public const string UnboundPathVariable = "SMOLMIX_UNBOUND";

    /// <summary>Where unbound is installed (or what <see cref="UnboundPathVariable"/> names, if that exists), or null.</summary>
    public static readonly string? UnboundPath = WatchedDaemon.Find("unbound", UnboundPathVariable);

    /// <summary>Why the server cannot run here, or null when it can.</summary>
    public static string? WhyUnavailable =>
        !OperatingSystem.IsLinux() ? "unbound tests run on Linux only"
        : UnboundPath is not null ? null
        : Environment.GetEnvironmentVariable(UnboundPathVariable) is { Length: > 0 } named ? $"{UnboundPathVariable}={named} does not exist"
        : "unbound is not installed (apt-get install unbound, or run scripts/setup-test-env.sh as root)";

    /// <summary>
    /// Client TLS options for <see cref="TlsEndPoint"/>: SNI <see cref="TlsServerName"/>, and the server certificate is
    /// validated against <see cref="CaCertificate"/> only (custom root trust, no revocation check).
    /// </summary>
    public SslClientAuthenticationOptions CreateTlsClientOptions()
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        policy.CustomTrustStore.Add(CaCertificate);
        return new SslClientAuthenticationOptions
        {
            TargetHost = TlsServerName,
            CertificateChainPolicy = policy,
        };
    }

    /// <summary>
    /// Writes the zone, config and certificates to a temporary directory, starts unbound on free loopback ports and waits
    /// (at most 20 s) until it answers. Skips the calling test when unbound is not installed.
    /// </summary>
    public static async Task<UnboundServer> StartAsync(CancellationToken cancellationToken)
    {
        Skip.If(WhyUnavailable is not null, WhyUnavailable);
        string unbound = UnboundPath!;

        DirectoryInfo directory = Directory.CreateTempSubdirectory("smolmix-unbound-");
        X509Certificate2? ca = null;
        try
        {
            ca = WriteCertificates(directory.FullName);
            await File.WriteAllTextAsync(Path.Combine(directory.FullName, "smolmix.test.zone"), TestZone.ZoneFile(), cancellationToken);

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(StartTimeout);
            var failures = new StringBuilder();
            for (int attempt = 1; attempt <= StartAttempts; attempt++)
            {
                (int dnsPort, int tlsPort) = PickPorts();
                var dns = new IPEndPoint(IPAddress.Loopback, dnsPort);
                var tls = new IPEndPoint(IPAddress.Loopback, tlsPort);
                string config = Path.Combine(directory.FullName, "unbound.conf");
                await File.WriteAllTextAsync(config, Config(directory.FullName, dnsPort, tlsPort), deadline.Token);

                WatchedDaemon process = WatchedDaemon.Start("unbound", directory.FullName, [unbound, "-d", "-c", config]);
                var server = new UnboundServer(process, directory, dns, tls, ca);
                bool ready;
                try
                {
                    ready = await server.WaitUntilReadyAsync(deadline.Token);
                }
                catch (Exception)
                {
                    await server.StopAsync();
                    throw;
                }

                if (ready)
                {
                    return server;
                }

                // unbound exited, most likely because another process took one of the ports between picking and binding.
                int exitCode = process.ExitCode;
                await server.StopAsync();
                failures.Append("attempt ").Append(attempt).Append(" (ports ").Append(dnsPort).Append(", ").Append(tlsPort)
                    .Append("): exit ").Append(exitCode).Append('\n').Append(server.Log);
            }

            throw new InvalidOperationException($"unbound did not start in {StartAttempts} attempts:\n{failures}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            ca?.Dispose();
            WatchedDaemon.DeleteDirectory(directory);
            throw new TimeoutException($"unbound did not answer within {StartTimeout.TotalSeconds} s");
        }
        catch
        {
            ca?.Dispose();
            WatchedDaemon.DeleteDirectory(directory);
            throw;
        }
    }

    /// <summary>Stops unbound (bounded; kills the process tree if it does not stop) and deletes the temporary directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await StopAsync();
        }
        finally
        {
            CaCertificate.Dispose();
            WatchedDaemon.DeleteDirectory(_directory);
        }
    }

    // Closing stdin makes the watchdog stop unbound with SIGTERM; if that takes too long, the whole tree is killed.
    private Task StopAsync() => _process.StopAsync(StopTimeout);

    // True once unbound answers a UDP query and accepts TCP on the TLS port; false if it exited. The probe asks for a
    // name outside the zone (REFUSED by a local zone) so that it leaves nothing in unbound's cache.
    private async Task<bool> WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        byte[] query = ProbeQuery(0x5eed);
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Connect(DnsEndPoint);
        byte[] buffer = new byte[2048];
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process.HasExited)
            {
                return false;
            }

            using var probe = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            probe.CancelAfter(ProbeTimeout);
            try
            {
                await udp.SendAsync(query, SocketFlags.None, probe.Token);
                int length = await udp.ReceiveAsync(buffer, SocketFlags.None, probe.Token);
                if (length >= 12 && BinaryPrimitives.ReadUInt16BigEndian(buffer) == 0x5eed && (buffer[2] & 0x80) != 0)
                {
                    int rcode = buffer[3] & 0x0f;
                    if (rcode != 5)
                    {
                        throw new InvalidOperationException($"unbound answered the probe with rcode {rcode}, not REFUSED:\n{Log}");
                    }

                    break;
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // No answer within the probe timeout: unbound is still starting.
            }
            catch (SocketException)
            {
                // ICMP port unreachable (ECONNREFUSED on the connected socket): nothing is listening yet.
                await Task.Delay(50, cancellationToken);
            }
        }

        using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await tcp.ConnectAsync(TlsEndPoint, cancellationToken);
        return true;
    }

    private static string Config(string directory, int dnsPort, int tlsPort) => $"""
        server:
          verbosity: 1
          interface: 127.0.0.1@{dnsPort}
          interface: 127.0.0.1@{tlsPort}
          port: {dnsPort}
          tls-port: {tlsPort}
          tls-service-key: "{directory}/server.key"
          tls-service-pem: "{directory}/server.pem"
          do-ip4: yes
          do-ip6: no
          do-udp: yes
          do-tcp: yes
          so-reuseport: no
          do-daemonize: no
          chroot: ""
          username: ""
          use-syslog: no
          logfile: ""
          log-time-ascii: yes
          directory: "{directory}"
          pidfile: "{directory}/unbound.pid"
          num-threads: 1
          outgoing-range: 64
          access-control: 0.0.0.0/0 refuse
          access-control: 127.0.0.0/8 allow
          edns-buffer-size: {EdnsPayloadSize}
          max-udp-size: 4096
          module-config: "iterator"
          qname-minimisation: no
          # Nothing but the test zone: every other name is REFUSED before recursion starts.
          local-zone: "." refuse
          local-zone: "{TestZone.Name}." transparent
          # The SERVFAIL name is delegated to an address unbound must not query, so it fails at once, every time.
          do-not-query-localhost: no
          do-not-query-address: 127.0.0.2
        remote-control:
          control-enable: no
        auth-zone:
          name: "{TestZone.Name}."
          zonefile: "{directory}/smolmix.test.zone"
          for-downstream: no
          for-upstream: yes
          fallback-enabled: no
        stub-zone:
          name: "{TestZone.ServFailName}."
          stub-addr: 127.0.0.2
        """;

    // A CA (ECDSA P-256) and a server certificate for dns.smolmix.test and 127.0.0.1 that it signs; unbound gets the server
    // key (PKCS#8 PEM) and the chain (server, then CA). Returns the CA without its private key.
    private static X509Certificate2 WriteCertificates(string directory)
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using ECDsa caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Smolmix Test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var caSki = new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false);
        caRequest.CertificateExtensions.Add(caSki);
        using X509Certificate2 caWithKey = caRequest.CreateSelfSigned(now.AddHours(-1), now.AddDays(2));

        using ECDsa serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest($"CN={TlsServerName}", serverKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(TlsServerName);
        san.AddIpAddress(IPAddress.Loopback);
        serverRequest.CertificateExtensions.Add(san.Build(true));
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        serverRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        serverRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(serverRequest.PublicKey, false));
        serverRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(caSki));
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using X509Certificate2 server = serverRequest.Create(caWithKey, now.AddHours(-1), now.AddDays(1), serial);

        string keyPath = Path.Combine(directory, "server.key");
        File.WriteAllText(keyPath, serverKey.ExportPkcs8PrivateKeyPem());
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        File.WriteAllText(Path.Combine(directory, "server.pem"), server.ExportCertificatePem() + "\n" + caWithKey.ExportCertificatePem() + "\n");
        File.WriteAllText(Path.Combine(directory, "ca.pem"), caWithKey.ExportCertificatePem() + "\n");
        return X509CertificateLoader.LoadCertificate(caWithKey.RawData);
    }

    // Two distinct free loopback ports: the first free for both TCP and UDP (plain DNS), the second for TCP (DoT).
    // They are released before unbound binds them, so a start can still lose a race; StartAsync then tries again.
    private static (int Dns, int Tls) PickPorts()
    {
        for (int i = 0; i < 100; i++)
        {
            using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            tcp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            int port = ((IPEndPoint)tcp.LocalEndPoint!).Port;
            using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                udp.Bind(new IPEndPoint(IPAddress.Loopback, port));
            }
            catch (SocketException)
            {
                continue;
            }

            using var tls = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            tls.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            return (port, ((IPEndPoint)tls.LocalEndPoint!).Port);
        }

        throw new InvalidOperationException("found no loopback port free for both TCP and UDP");
    }

    // A query (RD set, no EDNS) for the A record of a name outside the zone.
    private static byte[] ProbeQuery(ushort id)
    {
        var query = new List<byte> { (byte)(id >> 8), (byte)id, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
        foreach (string label in TestZone.OutsideName.Split('.'))
        {
            query.Add((byte)label.Length);
            query.AddRange(Encoding.ASCII.GetBytes(label));
        }

        query.AddRange([0, 0, 1, 0, 1]);
        return query.ToArray();
    }
}
