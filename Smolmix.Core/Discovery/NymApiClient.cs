using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Smolmix.Discovery;

/// <summary>
/// Reads the node lists of a nym-api directory: <c>GET v2/nym-nodes/described?page=N</c> and
/// <c>GET v2/unstable/nym-nodes/skimmed?page=N</c> (JSON), following the pagination
/// (<c>{pagination:{total,page,size}, data:[…]}</c>, pages counted from 0) until every node is read.
/// Unknown fields are ignored and malformed entries skipped.
/// </summary>
internal sealed class NymApiClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly Uri _base;
    private readonly int _maxPages;
    private readonly ILogger _logger;

    public NymApiClient(Uri baseUri, HttpMessageHandler? handler, int maxPages, ILogger logger, IWebProxy? proxy = null)
    {
        _base = baseUri.AbsoluteUri.EndsWith('/') ? baseUri : new Uri(baseUri.AbsoluteUri + "/");
        _http = handler is null ? new HttpClient(CreateDefaultHandler(proxy), disposeHandler: true) : new HttpClient(handler, disposeHandler: false);
        _http.Timeout = Timeout.InfiniteTimeSpan; // bounded by the caller's token (on the tunnel's clock)
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("smolmix", typeof(NymApiClient).Assembly.GetName().Version?.ToString(3) ?? "0"));
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        _maxPages = maxPages;
        _logger = logger;
    }

    /// <summary>
    /// The handler used when the caller supplies none: it uses <paramref name="proxy"/> if given and
    /// otherwise no proxy at all (never HTTP_PROXY, HTTPS_PROXY, ALL_PROXY or the system proxy, which
    /// a default <see cref="HttpClient"/> would follow).
    /// </summary>
    internal static SocketsHttpHandler CreateDefaultHandler(IWebProxy? proxy) => new()
    {
        UseProxy = proxy is not null,
        Proxy = proxy,
        AutomaticDecompression = DecompressionMethods.All,
    };

    /// <summary>Every described node.</summary>
    public async Task<IReadOnlyList<DescribedNode>> GetDescribedAsync(CancellationToken cancellationToken)
    {
        var nodes = new List<DescribedNode>();
        await ReadPagesAsync("v2/nym-nodes/described", element =>
        {
            if (TryReadDescribed(element, out DescribedNode? node))
            {
                nodes.Add(node);
            }
        }, cancellationToken).ConfigureAwait(false);
        return nodes;
    }

    /// <summary>Every skimmed node.</summary>
    public async Task<IReadOnlyList<SkimmedNode>> GetSkimmedAsync(CancellationToken cancellationToken)
    {
        var nodes = new List<SkimmedNode>();
        await ReadPagesAsync("v2/unstable/nym-nodes/skimmed", element =>
        {
            if (TryReadSkimmed(element, out SkimmedNode? node))
            {
                nodes.Add(node);
            }
        }, cancellationToken).ConfigureAwait(false);
        return nodes;
    }

    /// <inheritdoc/>
    public void Dispose() => _http.Dispose();

    internal static bool TryReadDescribed(JsonElement element, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DescribedNode? node)
    {
        node = null;
        if (element.ValueKind != JsonValueKind.Object
            || !element.TryGetProperty("description", out JsonElement description)
            || description.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        string? identity = Path(description, "host_information", "keys", "ed25519") is { ValueKind: JsonValueKind.String } id ? id.GetString() : null;
        if (string.IsNullOrEmpty(identity))
        {
            return false;
        }

        string? version = Path(description, "build_information", "build_version") is { ValueKind: JsonValueKind.String } v ? v.GetString() : null;
        string? ipr = Path(description, "ip_packet_router", "address") is { ValueKind: JsonValueKind.String } a ? a.GetString() : null;
        bool? exitIpr = Path(description, "declared_role", "exit_ipr") is { } r && r.ValueKind is JsonValueKind.True or JsonValueKind.False ? r.GetBoolean() : null;
        node = new DescribedNode(identity, version, ipr, exitIpr);
        return true;
    }

    internal static bool TryReadSkimmed(JsonElement element, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SkimmedNode? node)
    {
        node = null;
        if (element.ValueKind != JsonValueKind.Object
            || !element.TryGetProperty("ed25519_identity_pubkey", out JsonElement id)
            || id.ValueKind != JsonValueKind.String
            || string.IsNullOrEmpty(id.GetString()))
        {
            return false;
        }

        double performance = 0;
        if (element.TryGetProperty("performance", out JsonElement p))
        {
            if (p.ValueKind == JsonValueKind.Number)
            {
                performance = p.GetDouble();
            }
            else if (p.ValueKind != JsonValueKind.String || !double.TryParse(p.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out performance))
            {
                return false;
            }
        }

        bool? exitIpr = Path(element, "supported_roles", "exit_ipr") is { } r && r.ValueKind is JsonValueKind.True or JsonValueKind.False ? r.GetBoolean() : null;
        node = new SkimmedNode(id.GetString()!, Math.Clamp(performance, 0, 1), exitIpr);
        return true;
    }

    private static JsonElement? Path(JsonElement element, params string[] names)
    {
        foreach (string name in names)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out element))
            {
                return null;
            }
        }

        return element;
    }

    private async Task ReadPagesAsync(string path, Action<JsonElement> onNode, CancellationToken cancellationToken)
    {
        int read = 0;
        for (int page = 0; page < _maxPages; page++)
        {
            var uri = new Uri(_base, $"{path}?page={page.ToString(CultureInfo.InvariantCulture)}");
            using HttpResponseMessage response = await _http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
            Stream body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                using JsonDocument document = await JsonDocument.ParseAsync(body, default, cancellationToken).ConfigureAwait(false);
                JsonElement root = document.RootElement;

                // The skimmed list wraps its page in "nodes" next to metadata.
                if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("nodes", out JsonElement nodes) && nodes.ValueKind == JsonValueKind.Object)
                {
                    root = nodes;
                }

                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("data", out JsonElement data) || data.ValueKind != JsonValueKind.Array)
                {
                    throw new InvalidDataException($"The directory's {path} page {page} has no data array.");
                }

                int count = 0;
                foreach (JsonElement element in data.EnumerateArray())
                {
                    onNode(element);
                    count++;
                }

                read += count;
                long total = Path(root, "pagination", "total") is { ValueKind: JsonValueKind.Number } t && t.TryGetInt64(out long n) ? n : read;
                if (count == 0 || read >= total)
                {
                    return;
                }
            }
        }

        DiscoveryLog.PagesCapped(_logger, path, _maxPages);
    }
}
