using Smolmix.CommandLine;
using Smolmix.Devnet;

namespace Smolmix.Cli;

/// <summary>The parsed command line of `smolmix get`.</summary>
internal sealed class GetOptions
{
    public const string Usage = """
        usage: smolmix get [URL] [options]
          URL                  http(s)://... (https:// if no scheme is given); default, without --nym-client:
                               the embedded demo site's index, https://demo.smolmix.test/
          -o, --output FILE    write the body to FILE ('-' = standard output, even binary on a terminal)
          -H, --header 'N: v'  add a request header (repeatable)
          --http2              ask for HTTP/2 (ALPN for https, falling back to HTTP/1.1; prior knowledge for http)
          -f, --fail           exit 22, writing no body, when the status is 400 or more
          --timeout SECONDS    the bound on the whole run: tunnel, request and body (default 600)
          --preset P           the embedded Devnet's mixnet model: instant | nym | harsh (default nym)
          --nym-client URI     the real Nym network through this nym-client (default ws://127.0.0.1:1977 with --exit)
          --exit ADDRESS       the IPR exit's Nym address (needed for the real network)
          --ca FILE            also trust this root certificate (PEM or DER)
          -v, --verbose        log at Debug level (Smolmix categories) to standard error; errors with their stack
          -h, --help           this text
        Without --nym-client/--exit: an embedded Devnet (a local stand-in for the Nym network) and a local HTTPS
        demo site behind its resolver, with a test CA made at start; no network is needed.
        The body goes to standard output (or FILE); progress and the time split (tunnel up, DNS, TCP, TLS,
        first byte, body) go to standard error.
        exit codes (curl's): 0 ok, 1 unsupported scheme, 2 usage, 3 malformed URL, 6 could not resolve host,
          7 could not connect, 8 invalid response, 22 HTTP status >= 400 with --fail, 23 write error, 28 timeout,
          35 TLS failure, 52 connection closed without a reply, 56 receive failure, 77 bad --ca file, 130 Ctrl+C
        """;

    public Uri? Url { get; private set; }

    public string? Output { get; private set; }

    public List<KeyValuePair<string, string>> Headers { get; } = [];

    public bool Http2 { get; private set; }

    public bool Fail { get; private set; }

    public TimeSpan Timeout { get; private set; } = TimeSpan.FromSeconds(600);

    public DevnetPreset Preset { get; private set; } = DevnetPreset.Nym;

    public Uri? NymClient { get; private set; }

    public string? Exit { get; private set; }

    public string? CaFile { get; private set; }

    public bool Verbose { get; private set; }

    public bool Help { get; private set; }

    /// <summary>The real Nym network rather than the embedded Devnet.</summary>
    public bool Real => NymClient is not null || Exit is not null;

    /// <summary>Parses <paramref name="args"/>; a usage problem is a <see cref="UsageException"/> naming the option.</summary>
    /// <exception cref="UsageException">A usage error.</exception>
    /// <exception cref="UriFormatException">The URL is malformed (exit 3) or not http(s) (exit 1; see <see cref="UnsupportedSchemeException"/>).</exception>
    public static GetOptions Parse(string[] args)
    {
        var options = new GetOptions();
        string? url = null;
        bool presetGiven = false;
        var reader = new ArgReader(args);
        while (reader.Next(out string? arg))
        {
            switch (arg)
            {
                case "-o":
                case "--output":
                    options.Output = reader.Value(arg);
                    break;
                case "-H":
                case "--header":
                    string header = reader.Value(arg);
                    int colon = header.IndexOf(':', StringComparison.Ordinal);
                    if (colon <= 0 || header[..colon].Trim().Length == 0)
                    {
                        throw new UsageException($"{arg} wants 'Name: value', not '{header}'");
                    }

                    options.Headers.Add(KeyValuePair.Create(header[..colon].Trim(), header[(colon + 1)..].Trim()));
                    break;
                case "--http2":
                    options.Http2 = true;
                    break;
                case "-f":
                case "--fail":
                    options.Fail = true;
                    break;
                case "--timeout":
                    options.Timeout = reader.Seconds(arg);
                    break;
                case "--preset":
                    options.Preset = reader.Choice(arg, ("instant", DevnetPreset.Instant), ("nym", DevnetPreset.Nym), ("harsh", DevnetPreset.Harsh));
                    presetGiven = true;
                    break;
                case "--nym-client":
                    options.NymClient = reader.NymClient(arg);
                    break;
                case "--exit":
                    string exit = reader.Value(arg);
                    if (!Smolmix.Nym.NymAddress.TryParse(exit, out _))
                    {
                        throw new UsageException($"--exit wants a Nym address (CLIENT.ENCRYPTION@GATEWAY), not '{exit}'");
                    }

                    options.Exit = exit;
                    break;
                case "--ca":
                    options.CaFile = reader.Value(arg);
                    break;
                case "-v":
                case "--verbose":
                    options.Verbose = true;
                    break;
                case "-h":
                case "--help":
                    options.Help = true;
                    break;
                default:
                    if (arg.Length > 1 && arg[0] == '-')
                    {
                        throw reader.Unknown(arg);
                    }

                    if (url is not null)
                    {
                        throw new UsageException($"one URL only; '{arg}' is a second");
                    }

                    url = arg;
                    break;
            }
        }

        if (options.Real)
        {
            if (options.Exit is null)
            {
                throw new UsageException("--nym-client needs --exit ADDRESS (the IPR exit to use)");
            }

            if (presetGiven)
            {
                throw new UsageException("--preset is for the embedded Devnet; it does not go with --nym-client/--exit");
            }

            if (url is null)
            {
                throw new UsageException("with --nym-client/--exit, give the URL to fetch");
            }

            options.NymClient ??= TunnelOptions.DefaultNymClient;
        }

        options.Url = ParseUrl(url ?? $"https://{DemoSite.Host}/");
        return options;
    }

    private static Uri ParseUrl(string text)
    {
        if (!text.Contains("://", StringComparison.Ordinal))
        {
            text = "https://" + text;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out Uri? url) || url.Host.Length == 0)
        {
            throw new UriFormatException($"malformed URL '{text}'");
        }

        if (url.Scheme is not ("http" or "https"))
        {
            throw new UnsupportedSchemeException($"'{url.Scheme}' is not supported; http and https are");
        }

        return url;
    }
}

/// <summary>A URL whose scheme is neither http nor https (curl's exit 1).</summary>
internal sealed class UnsupportedSchemeException(string message) : UriFormatException(message);
