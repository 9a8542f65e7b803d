using System.Net;
using System.Net.Sockets;
using System.Text;
using Smolmix.Devnet;
using Smolmix.Tests.Infrastructure;

namespace Smolmix.Http.Tests.Support;

/// <summary>
/// A real web server no one here wrote: Debian's <c>nginx</c>, started for one test on free 127.0.0.1 ports with a
/// configuration of its own in a temporary directory. <see cref="Tls"/> serves HTTP/1.1 and HTTP/2 (ALPN) with a
/// certificate for <see cref="ServerName"/> from a <see cref="DevnetCertificateAuthority"/>; <see cref="H2c"/> serves
/// HTTP/2 in plain text (prior knowledge). Both serve the <see cref="NginxFiles"/> and proxy <c>/reset</c> to a
/// <see cref="ResettingUpstream"/>, so a response can be broken off mid-body with nginx in the path.
/// </summary>
/// <remarks>
/// Use with <c>await using</c> from a <c>[SkippableFact]</c>: <see cref="StartAsync"/> skips the test when nginx is not
/// installed. nginx runs in the foreground as a single process (<c>master_process off; daemon off;</c>) under a small
/// <c>/bin/sh</c> watchdog that stops it when its stdin closes, so it also goes away when the test process dies.
/// </remarks>
internal sealed class NginxServer : IAsyncDisposable
{
    /// <summary>The name in the server certificate.</summary>
    public const string ServerName = "nginx.smolmix.test";

    /// <summary>Environment variable that names the nginx executable to use instead of searching PATH and /usr/sbin.</summary>
    public const string NginxPathVariable = "SMOLMIX_NGINX";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);
    private const int StartAttempts = 5;

    private readonly WatchedDaemon _process;
    private readonly DirectoryInfo _directory;
    private int _disposed;

    private NginxServer(WatchedDaemon process, DirectoryInfo directory, IPEndPoint tls, IPEndPoint h2c, NginxFiles files, ResettingUpstream upstream)
    {
        _process = process;
        _directory = directory;
        Tls = tls;
        H2c = h2c;
        Files = files;
        Upstream = upstream;
    }

    /// <summary>Where nginx is installed (or what <see cref="NginxPathVariable"/> names, if that exists), or null.</summary>
    public static readonly string? NginxPath = WatchedDaemon.Find("nginx", NginxPathVariable);

    /// <summary>Why the server cannot run here, or null when it can.</summary>
    public static string? WhyUnavailable =>
        !OperatingSystem.IsLinux() ? "nginx tests run on Linux only"
        : NginxPath is not null ? null
        : Environment.GetEnvironmentVariable(NginxPathVariable) is { Length: > 0 } named ? $"{NginxPathVariable}={named} does not exist"
        : "nginx is not installed (apt-get install nginx, or run scripts/setup-test-env.sh as root)";

    /// <summary>HTTPS on 127.0.0.1: HTTP/1.1 and HTTP/2 by ALPN.</summary>
    public IPEndPoint Tls { get; }

    /// <summary>Plain HTTP/2 (h2c, prior knowledge) on 127.0.0.1.</summary>
    public IPEndPoint H2c { get; }

    /// <summary>The static files served, with their hashes.</summary>
    public NginxFiles Files { get; }

    /// <summary>What <c>/reset</c> is proxied to.</summary>
    public ResettingUpstream Upstream { get; }

    /// <summary>The requests nginx has finished so far (it logs each when it is done with it, complete or not).</summary>
    public IReadOnlyList<NginxAccess> AccessLog()
    {
        string path = Path.Combine(_directory.FullName, "logs", "access.log");
        return File.Exists(path) ? [.. File.ReadAllLines(path).Where(l => l.Length > 0).Select(NginxAccess.Parse)] : [];
    }

    /// <summary>Waits (bounded by <paramref name="cancellationToken"/>) until the access log has an entry that matches.</summary>
    public async Task<NginxAccess> WaitForAccessAsync(Func<NginxAccess, bool> match, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (AccessLog().FirstOrDefault(match) is { } entry)
            {
                return entry;
            }

            await Task.Delay(20, cancellationToken);
        }
    }

    /// <summary>nginx's stderr and error log so far, for diagnostics.</summary>
    public string Log
    {
        get
        {
            string errorLog = Path.Combine(_directory.FullName, "logs", "error.log");
            string log = File.Exists(errorLog) ? File.ReadAllText(errorLog) : string.Empty;
            return _process.Output + log;
        }
    }

    /// <summary>
    /// Writes the files, certificate and configuration to a temporary directory, starts nginx on free loopback ports and
    /// waits (at most 20 s) until both ports accept connections. Skips the calling test when nginx is not installed.
    /// </summary>
    /// <param name="ca">Issues the server certificate (for <paramref name="serverName"/>).</param>
    /// <param name="serverName">The name in the certificate; <see cref="ServerName"/> by default.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    public static async Task<NginxServer> StartAsync(DevnetCertificateAuthority ca, string serverName = ServerName, CancellationToken cancellationToken = default)
    {
        Skip.If(WhyUnavailable is not null, WhyUnavailable);
        ArgumentNullException.ThrowIfNull(ca);
        string nginx = NginxPath!;

        DirectoryInfo directory = Directory.CreateTempSubdirectory("smolmix-nginx-");
        ResettingUpstream? upstream = null;
        try
        {
            string root = directory.FullName;
            foreach (string sub in new[] { "www", "logs", "temp" })
            {
                Directory.CreateDirectory(Path.Combine(root, sub));
            }

            NginxFiles files = await NginxFiles.WriteAsync(Path.Combine(root, "www"), cancellationToken);
            using (var certificate = ca.IssueServerCertificate([serverName]))
            {
                DevnetCertificateAuthority.ExportPem(certificate, Path.Combine(root, "server.pem"), Path.Combine(root, "server.key"));
            }

            upstream = ResettingUpstream.Start();

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(StartTimeout);
            var failures = new StringBuilder();
            for (int attempt = 1; attempt <= StartAttempts; attempt++)
            {
                (int tlsPort, int h2cPort) = PickPorts();
                var tls = new IPEndPoint(IPAddress.Loopback, tlsPort);
                var h2c = new IPEndPoint(IPAddress.Loopback, h2cPort);
                string config = Path.Combine(root, "nginx.conf");
                await File.WriteAllTextAsync(config, Config(root, serverName, tlsPort, h2cPort, upstream.EndPoint.Port), deadline.Token);

                WatchedDaemon process = WatchedDaemon.Start("nginx", root, [nginx, "-p", root + "/", "-c", config, "-e", root + "/logs/error.log", "-g", "daemon off;"]);
                var server = new NginxServer(process, directory, tls, h2c, files, upstream);
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

                // nginx exited, most likely because another process took one of the ports between picking and binding.
                string log = server.Log;
                int exitCode = process.ExitCode;
                await server.StopAsync();
                failures.Append("attempt ").Append(attempt).Append(" (ports ").Append(tlsPort).Append(", ").Append(h2cPort)
                    .Append("): exit ").Append(exitCode).Append('\n').Append(log);
                File.Delete(Path.Combine(root, "logs", "error.log"));
            }

            throw new InvalidOperationException($"nginx did not start in {StartAttempts} attempts:\n{failures}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await Cleanup();
            throw new TimeoutException($"nginx did not accept connections within {StartTimeout.TotalSeconds} s");
        }
        catch
        {
            await Cleanup();
            throw;
        }

        async Task Cleanup()
        {
            if (upstream is not null)
            {
                await upstream.DisposeAsync();
            }

            WatchedDaemon.DeleteDirectory(directory);
        }
    }

    /// <summary>Stops nginx (bounded; kills the process tree if it does not stop), the upstream, and deletes the temporary directory.</summary>
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
            await Upstream.DisposeAsync();
            WatchedDaemon.DeleteDirectory(_directory);
        }
    }

    // Closing stdin makes the watchdog stop nginx with SIGTERM (fast shutdown); if that takes too long, the tree is killed.
    private Task StopAsync() => _process.StopAsync(StopTimeout);

    // True once both ports accept TCP connections; false if nginx exited first.
    private async Task<bool> WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        foreach (IPEndPoint endPoint in new[] { Tls, H2c })
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (_process.HasExited)
                {
                    return false;
                }

                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    await socket.ConnectAsync(endPoint, cancellationToken);
                    break;
                }
                catch (SocketException)
                {
                    await Task.Delay(50, cancellationToken);
                }
            }
        }

        return !_process.HasExited;
    }

    // One process (no master, no workers, no user switch): as root it stays root, as a user it needs nothing it does not own.
    private static string Config(string root, string serverName, int tlsPort, int h2cPort, int upstreamPort)
    {
        string locations = $$"""
                root {{root}}/www;
                location / {
                }
                location = /reset {
                    proxy_pass http://127.0.0.1:{{upstreamPort}};
                    proxy_http_version 1.1;
                    proxy_buffering off;
                }
            """;
        return $$"""
            master_process off;
            worker_processes 1;
            pid {{root}}/nginx.pid;
            error_log {{root}}/logs/error.log info;
            events {
                worker_connections 256;
            }
            http {
                log_format smolmix '$connection $connection_requests $server_protocol $status $body_bytes_sent $request_uri';
                access_log {{root}}/logs/access.log smolmix;
                client_body_temp_path {{root}}/temp/body;
                proxy_temp_path {{root}}/temp/proxy;
                fastcgi_temp_path {{root}}/temp/fastcgi;
                uwsgi_temp_path {{root}}/temp/uwsgi;
                scgi_temp_path {{root}}/temp/scgi;
                types {
                }
                default_type application/octet-stream;
                sendfile on;
                keepalive_requests 10000;
                keepalive_timeout 120s;
                http2_max_concurrent_streams 128;
                server {
                    listen 127.0.0.1:{{tlsPort}} ssl http2;
                    server_name {{serverName}};
                    ssl_certificate {{root}}/server.pem;
                    ssl_certificate_key {{root}}/server.key;
                    ssl_protocols TLSv1.2 TLSv1.3;
            {{locations}}
                }
                server {
                    listen 127.0.0.1:{{h2cPort}} http2;
                    server_name {{serverName}};
            {{locations}}
                }
            }
            """;
    }

    // Two distinct free loopback TCP ports. They are released before nginx binds them, so a start can still lose a race;
    // StartAsync then tries again.
    private static (int Tls, int H2c) PickPorts()
    {
        using var a = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        a.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var b = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        b.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return (((IPEndPoint)a.LocalEndPoint!).Port, ((IPEndPoint)b.LocalEndPoint!).Port);
    }
}
