using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Smolmix.CommandLine;
using Smolmix.Devnet;
using Smolmix.Http;
using Smolmix.Tls;
using DevnetHost = Smolmix.Devnet.Devnet;

namespace Smolmix.Cli;

/// <summary>
/// `smolmix get [URL]`: fetches a URL through a Smolmix tunnel with <c>HttpClient</c> over
/// <see cref="SmolmixHandler"/>, shows progress, and prints the time split (tunnel up, DNS, TCP, TLS,
/// first byte, body). Without <c>--nym-client</c>/<c>--exit</c> it brings its own network: an embedded
/// Devnet and the <see cref="DemoSite"/> behind the Devnet's resolver, with a test CA made at start.
/// </summary>
internal static class GetCommand
{
    // The Devnet gives its first (here: only) host name these addresses; the site is also mapped at port 443
    // so that the URL needs no port.
    private static readonly IPAddress DemoIPv4 = IPAddress.Parse("198.18.0.1");
    private static readonly IPAddress DemoIPv6 = IPAddress.Parse("2001:2::1");

    public static async Task<int> RunAsync(string[] args)
    {
        GetOptions options;
        try
        {
            options = GetOptions.Parse(args);
        }
        catch (UnsupportedSchemeException ex)
        {
            Console.Error.WriteLine($"smolmix get: {ex.Message}");
            return CurlExitCode.UnsupportedProtocol;
        }
        catch (UriFormatException ex)
        {
            Console.Error.WriteLine($"smolmix get: {ex.Message}");
            return CurlExitCode.MalformedUrl;
        }
        catch (UsageException ex)
        {
            Console.Error.WriteLine($"smolmix get: {ex.Message} (try 'smolmix get --help')");
            return CurlExitCode.Usage;
        }

        if (options.Help)
        {
            Console.WriteLine(GetOptions.Usage);
            return CurlExitCode.Ok;
        }

        var roots = new X509Certificate2Collection();
        if (options.CaFile is { } caFile)
        {
            try
            {
                roots.AddRange(LoadRoots(caFile));
            }
            catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"smolmix get: --ca {caFile}: {ex.Message}");
                return CurlExitCode.CaCertificateProblem;
            }
        }

        using StderrLoggerFactory? loggers = options.Verbose
            ? new StderrLoggerFactory(category => category.StartsWith("Smolmix.Devnet", StringComparison.Ordinal) ? LogLevel.Information
                : category.StartsWith("Smolmix", StringComparison.Ordinal) ? LogLevel.Debug
                : LogLevel.Information)
            : null;
        using var interrupt = new CancellationTokenSource();
        using var timeout = new CancellationTokenSource(options.Timeout);
        using var both = CancellationTokenSource.CreateLinkedTokenSource(interrupt.Token, timeout.Token);
        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
        {
            context.Cancel = true;
            interrupt.Cancel();
        });

        using var status = new StatusLine(enabled: !Console.IsErrorRedirected && !options.Verbose);
        try
        {
            try
            {
                return await RunAsync(options, roots, loggers, status, both.Token).ConfigureAwait(false);
            }
            finally
            {
                status.Dispose();
            }
        }
        catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
        {
            Console.Error.WriteLine("smolmix get: interrupted");
            return CurlExitCode.Interrupted;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            Console.Error.WriteLine($"smolmix get: timed out after {options.Timeout.TotalSeconds:0.#} s (--timeout)");
            return CurlExitCode.TimedOut;
        }
        catch (GetFailure failure)
        {
            Console.Error.WriteLine($"smolmix get: {failure.Message}");
            if (options.Verbose && failure.InnerException is { } inner)
            {
                Console.Error.WriteLine(inner);
            }

            return failure.ExitCode;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Not expected: still one line (the stack with -v).
            Console.Error.WriteLine($"smolmix get: {ex.GetType().Name}: {ex.Message}");
            if (options.Verbose)
            {
                Console.Error.WriteLine(ex);
            }

            return 1;
        }
    }

    private static async Task<int> RunAsync(GetOptions options, X509Certificate2Collection roots, ILoggerFactory? loggers, StatusLine status, CancellationToken cancellationToken)
    {
        Uri url = options.Url!;
        DemoSite? site = null;
        DevnetHost? devnet = null;
        DevnetCertificateAuthority? ca = null;
        try
        {
            Uri nymClient;
            string exit;
            if (options.Real)
            {
                nymClient = options.NymClient!;
                exit = options.Exit!;
                status.WriteLine($"* the Nym network through the nym-client at {nymClient}, exit {Short(exit)}");
                await ProbeNymClientAsync(nymClient, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var started = Stopwatch.StartNew();
                status.Show("starting the embedded Devnet and the demo site");
                (ca, site, devnet) = await StartEmbeddedAsync(options.Preset, loggers, cancellationToken).ConfigureAwait(false);
                roots.Add(ca.Certificate);
                nymClient = devnet.NymClientUri;
                exit = devnet.ExitAddress;
                status.WriteLine($"* embedded Devnet ({options.Preset.ToString().ToLowerInvariant()} preset) at {nymClient.GetLeftPart(UriPartial.Authority)}, exit {Short(exit)}");
                status.WriteLine($"* demo site https://{DemoSite.Host}/ -> Kestrel on {site.EndPoint}; certificate from a test CA made now, trusted by this command only ({started.ElapsedMilliseconds} ms to start)");
            }

            var split = new TimeSplit();
            long tunnelStart = Stopwatch.GetTimestamp();
            Tunnel tunnel;
            status.Show("tunnel: connecting to the exit through the mixnet");
            try
            {
                tunnel = await Tunnel.ConnectAsync(new TunnelOptions { NymClient = nymClient, Exits = [exit], LoggerFactory = loggers }, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or TunnelException { Reason: TunnelFailureReason.NoExitAnswered })
            {
                throw new GetFailure(CurlExitCode.TimedOut, $"tunnel: {ex.Message}", ex);
            }
            catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or System.Net.WebSockets.WebSocketException)
            {
                throw new GetFailure(CurlExitCode.CouldNotConnect, $"tunnel: could not connect through {nymClient}: {CurlExitCode.Message(ex)}", ex);
            }

            await using (tunnel.ConfigureAwait(false))
            {
                split.TunnelUp = Stopwatch.GetElapsedTime(tunnelStart);
                status.WriteLine($"* tunnel up in {TimeSplit.Seconds(split.TunnelUp)} ({tunnel.IPv4Address}, IPR v{tunnel.ProtocolVersion})");
                return await FetchAsync(options, url, tunnel, roots, loggers, status, split, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            if (devnet is not null)
            {
                await devnet.DisposeAsync().ConfigureAwait(false);
            }

            if (site is not null)
            {
                await site.DisposeAsync().ConfigureAwait(false);
            }

            ca?.Dispose();
        }
    }

    /// <summary>
    /// Fails fast (exit 7) when nothing listens at the nym-client's address: the tunnel itself would keep
    /// retrying with backoff for its whole connect timeout, which suits a service but not a command.
    /// </summary>
    private static async Task ProbeNymClientAsync(Uri nymClient, CancellationToken cancellationToken)
    {
        using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            await probe.ConnectAsync(new DnsEndPoint(nymClient.Host, nymClient.Port), bounded.Token).ConfigureAwait(false);
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            throw new GetFailure(CurlExitCode.CouldNotConnect, $"could not connect to the nym-client at {nymClient.GetLeftPart(UriPartial.Authority)}: {ex.Message}", ex);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new GetFailure(CurlExitCode.TimedOut, $"the nym-client at {nymClient.GetLeftPart(UriPartial.Authority)} did not answer in 10 s", ex);
        }
    }

    private static async Task<(DevnetCertificateAuthority Ca, DemoSite Site, DevnetHost Devnet)> StartEmbeddedAsync(DevnetPreset preset, ILoggerFactory? loggers, CancellationToken cancellationToken)
    {
        var ca = DevnetCertificateAuthority.Create("smolmix get demo CA", TimeSpan.FromDays(1));
        DemoSite? site = null;
        try
        {
            site = await DemoSite.StartAsync(ca.IssueServerCertificate([DemoSite.Host]), cancellationToken).ConfigureAwait(false);
            var devnetOptions = new DevnetOptions { Preset = preset, LoggerFactory = loggers };
            devnetOptions.Hosts[DemoSite.Host] = site.EndPoint;
            devnetOptions.AddressMap[new IPEndPoint(DemoIPv4, 443)] = site.EndPoint;
            devnetOptions.AddressMap[new IPEndPoint(DemoIPv6, 443)] = site.EndPoint;
            DevnetHost devnet = await DevnetHost.StartAsync(devnetOptions, cancellationToken).ConfigureAwait(false);
            DevnetHostMapping mapping = devnet.Hosts.Single();
            if (!mapping.IPv4.Equals(DemoIPv4) || !mapping.IPv6.Equals(DemoIPv6))
            {
                await devnet.DisposeAsync().ConfigureAwait(false);
                throw new GetFailure(CurlExitCode.UnsupportedProtocol, $"the Devnet gave {DemoSite.Host} {mapping.IPv4}/{mapping.IPv6}, not {DemoIPv4}/{DemoIPv6}; port 443 is not mapped");
            }

            return (ca, site, devnet);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            if (site is not null)
            {
                await site.DisposeAsync().ConfigureAwait(false);
            }

            ca.Dispose();
            throw ex is GetFailure ? ex : new GetFailure(1, $"the embedded Devnet or demo site did not start: {ex.Message}", ex);
        }
    }

    private static async Task<int> FetchAsync(GetOptions options, Uri url, Tunnel tunnel, X509Certificate2Collection roots, ILoggerFactory? loggers, StatusLine status, TimeSplit split, CancellationToken cancellationToken)
    {
        var connections = new List<SmolmixConnectionInfo>();
        var handlerOptions = new SmolmixHandlerOptions
        {
            Tls = new TunnelTlsOptions { TrustedRoots = roots.Count > 0 ? roots : null },
            LoggerFactory = loggers,
            ConnectionEstablished = c =>
            {
                lock (connections)
                {
                    connections.Add(c);
                }
            },
        };
        using var client = new HttpClient(SmolmixHandler.Create(tunnel, handlerOptions)) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (options.Http2)
        {
            request.Version = HttpVersion.Version20;
            request.VersionPolicy = url.Scheme == "http" ? HttpVersionPolicy.RequestVersionExact : HttpVersionPolicy.RequestVersionOrLower;
        }

        foreach ((string name, string value) in options.Headers)
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                throw new GetFailure(CurlExitCode.Usage, $"-H '{name}: {value}': not a request header (a GET carries no content headers)");
            }
        }

        long sent = Stopwatch.GetTimestamp();
        status.Show($"GET {url}: DNS, TCP and TLS through the tunnel, then the first byte");
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            (int code, string what) = CurlExitCode.For(ex);
            throw new GetFailure(code, $"{what}: {url.Host}: {CurlExitCode.Message(ex)}", ex);
        }

        using (response)
        {
            TimeSpan headers = Stopwatch.GetElapsedTime(sent);
            status.Show(null);
            lock (connections)
            {
                split.SetConnections(connections);
            }

            split.FirstByte = headers - split.Dns - split.Tcp - split.Tls;
            string statusLine = $"HTTP/{VersionText(response.Version)} {(int)response.StatusCode} {response.ReasonPhrase}";
            long? length = response.Content.Headers.ContentLength;
            status.WriteLine($"* {statusLine} ({response.Content.Headers.ContentType?.MediaType ?? "no type"}, {(length is { } l ? ProgressDisplay.Size(l) : "length not given")})");
            if (options.Verbose)
            {
                foreach (var header in response.Headers.Concat(response.Content.Headers))
                {
                    Console.Error.WriteLine($"< {header.Key}: {string.Join(", ", header.Value)}");
                }
            }

            if (options.Fail && (int)response.StatusCode >= 400)
            {
                throw new GetFailure(CurlExitCode.HttpError, $"the server said {(int)response.StatusCode} {response.ReasonPhrase} (--fail)");
            }

            Stream body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            (Stream? output, string? skipped) = OpenOutput(options, response);
            var progress = new ProgressDisplay(bar: !Console.IsErrorRedirected && !options.Verbose, length);
            long bodyStart = Stopwatch.GetTimestamp();
            long bytes = 0;
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            try
            {
                byte[] buffer = new byte[64 * 1024];
                bool toTerminal = output is not null && options.Output is null or "-" && !Console.IsOutputRedirected;
                while (true)
                {
                    int n;
                    try
                    {
                        n = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is IOException or HttpRequestException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
                    {
                        (int code, string what) = CurlExitCode.For(ex);
                        throw new GetFailure(code == CurlExitCode.CouldNotConnect ? CurlExitCode.ReceiveError : code, $"{what} after {bytes} bytes of the body: {CurlExitCode.Message(ex)}", ex);
                    }

                    if (n == 0)
                    {
                        break;
                    }

                    bytes += n;
                    hash.AppendData(buffer, 0, n);
                    if (output is not null)
                    {
                        if (toTerminal)
                        {
                            progress.Clear();
                        }

                        try
                        {
                            await output.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                        }
                        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
                        {
                            throw new GetFailure(CurlExitCode.WriteError, $"write error ({options.Output ?? "standard output"}): {ex.Message}", ex);
                        }
                    }

                    progress.Report(bytes);
                }

                if (output is not null)
                {
                    try
                    {
                        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                    }
                    catch (IOException ex)
                    {
                        throw new GetFailure(CurlExitCode.WriteError, $"write error ({options.Output ?? "standard output"}): {ex.Message}", ex);
                    }
                }
            }
            finally
            {
                progress.Clear();
                if (output is not null && options.Output is not (null or "-"))
                {
                    await output.DisposeAsync().ConfigureAwait(false);
                }
            }

            split.Body = Stopwatch.GetElapsedTime(bodyStart);
            split.Bytes = bytes;
            split.Sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (skipped is not null)
            {
                Console.Error.WriteLine($"* {skipped}");
            }
            else if (options.Output is { } file && file != "-")
            {
                Console.Error.WriteLine($"* body written to {file}");
            }

            split.Write(Console.Error, statusLine);
            return CurlExitCode.Ok;
        }
    }

    /// <summary>Where the body goes: the -o file, standard output, or nowhere (binary for a terminal).</summary>
    private static (Stream? Output, string? Skipped) OpenOutput(GetOptions options, HttpResponseMessage response)
    {
        if (options.Output is { } file && file != "-")
        {
            try
            {
                return (new FileStream(file, FileMode.Create, FileAccess.Write, FileShare.Read, 64 * 1024, useAsync: true), null);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                throw new GetFailure(CurlExitCode.WriteError, $"-o {file}: {ex.Message}", ex);
            }
        }

        if (options.Output is null && !Console.IsOutputRedirected && !IsText(response))
        {
            return (null, "binary body not shown on a terminal (fetched and counted); -o FILE saves it, -o - prints it anyway");
        }

        Console.Out.Flush();
        return (Console.OpenStandardOutput(), null);
    }

    private static bool IsText(HttpResponseMessage response)
    {
        string? type = response.Content.Headers.ContentType?.MediaType;
        return type is null
            || type.StartsWith("text/", StringComparison.OrdinalIgnoreCase)
            || type.Contains("json", StringComparison.OrdinalIgnoreCase)
            || type.Contains("xml", StringComparison.OrdinalIgnoreCase)
            || type.Contains("javascript", StringComparison.OrdinalIgnoreCase);
    }

    private static X509Certificate2Collection LoadRoots(string path)
    {
        var roots = new X509Certificate2Collection();
        string text = File.ReadAllText(path);
        if (text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
        {
            roots.ImportFromPem(text);
        }
        else
        {
            roots.Add(X509CertificateLoader.LoadCertificateFromFile(path));
        }

        return roots.Count > 0 ? roots : throw new CryptographicException("no certificate in the file");
    }

    private static string VersionText(Version version) => version.Minor == 0 && version.Major >= 2 ? version.Major.ToString(System.Globalization.CultureInfo.InvariantCulture) : version.ToString(2);

    private static string Short(string exit) => exit.Length > 16 ? exit[..16] + "…" : exit;
}
