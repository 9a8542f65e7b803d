namespace Smolmix.Examples.HttpClientFactory;

/// <summary>A typed client: the factory gives it an <see cref="HttpClient"/> whose handler goes through the tunnel.</summary>
internal sealed class DemoApi(HttpClient http)
{
    public async Task<string> GetAsync(string path, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await http.GetAsync(path, cancellationToken);
        response.EnsureSuccessStatusCode();
        string body = await response.Content.ReadAsStringAsync(cancellationToken);
        return $"{(int)response.StatusCode} HTTP/{response.Version} {body.Trim().Split('\n')[0]}";
    }
}
