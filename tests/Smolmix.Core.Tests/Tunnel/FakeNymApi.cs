using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Smolmix.Tests.Tunnel;

/// <summary>A node the fake directory lists.</summary>
internal sealed record FakeNode(
    string Identity,
    string? BuildVersion,
    string? IprAddress,
    string Performance,
    bool? SupportsExitIpr = true,
    bool? DeclaresExitIpr = true,
    bool Described = true,
    bool Skimmed = true);

/// <summary>
/// A nym-api directory on 127.0.0.1 (raw sockets, HTTP/1.1, one request per connection) serving
/// <c>/api/v2/nym-nodes/described</c> and <c>/api/v2/unstable/nym-nodes/skimmed</c> in the
/// documented JSON shapes, <see cref="PageSize"/> nodes per page, pages counted from 0.
/// </summary>
internal sealed class FakeNymApi : IAsyncDisposable
{
    private readonly System.Net.Sockets.TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accept;

    public FakeNymApi(IEnumerable<FakeNode> nodes, int pageSize = 2)
    {
        Nodes = [.. nodes];
        PageSize = pageSize;
        _listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        BaseUri = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/api/");
        _accept = AcceptAsync();
    }

    public Uri BaseUri { get; }

    public List<FakeNode> Nodes { get; }

    public int PageSize { get; }

    /// <summary>The path and query of every request, in order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accept;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private static JsonObject Page(IEnumerable<JsonObject> all, int page, int size)
    {
        JsonObject[] items = [.. all];
        var data = new JsonArray([.. items.Skip(page * size).Take(size).Select(i => (JsonNode)i)]);
        return new JsonObject
        {
            ["pagination"] = new JsonObject { ["total"] = items.Length, ["page"] = page, ["size"] = size },
            ["data"] = data,
        };
    }

    private string Respond(string target)
    {
        string path = target.Split('?')[0];
        int page = 0;
        if (target.Contains("page=", StringComparison.Ordinal))
        {
            page = int.Parse(target[(target.IndexOf("page=", StringComparison.Ordinal) + 5)..].Split('&')[0], System.Globalization.CultureInfo.InvariantCulture);
        }

        if (path == "/api/v2/nym-nodes/described")
        {
            return Page(Nodes.Where(n => n.Described).Select((n, i) => new JsonObject
            {
                ["node_id"] = i,
                ["contract_node_type"] = "nym_node",
                ["description"] = new JsonObject
                {
                    ["last_polled"] = "2026-11-24T00:00:00Z",
                    ["host_information"] = new JsonObject
                    {
                        ["ip_address"] = new JsonArray("198.51.100.1"),
                        ["hostname"] = null,
                        ["keys"] = new JsonObject { ["ed25519"] = n.Identity, ["x25519"] = "unused" },
                    },
                    ["declared_role"] = new JsonObject { ["mixnode"] = false, ["entry"] = true, ["exit_nr"] = true, ["exit_ipr"] = n.DeclaresExitIpr },
                    ["build_information"] = new JsonObject { ["binary_name"] = "nym-node", ["build_version"] = n.BuildVersion },
                    ["ip_packet_router"] = n.IprAddress is null ? null : new JsonObject { ["address"] = n.IprAddress },
                },
            }), page, PageSize).ToJsonString();
        }

        if (path == "/api/v2/unstable/nym-nodes/skimmed")
        {
            JsonObject nodes = Page(Nodes.Where(n => n.Skimmed).Select((n, i) => new JsonObject
            {
                ["node_id"] = i,
                ["ed25519_identity_pubkey"] = n.Identity,
                ["ip_addresses"] = new JsonArray("198.51.100.1"),
                ["mix_port"] = 1789,
                ["x25519_sphinx_pubkey"] = "unused",
                ["role"] = "ExitGateway",
                ["supported_roles"] = n.SupportsExitIpr is null ? null : new JsonObject { ["mixnode"] = false, ["mixnet_entry"] = true, ["mixnet_exit"] = true, ["exit_ipr"] = n.SupportsExitIpr },
                ["performance"] = n.Performance,
            }), page, PageSize);
            return new JsonObject
            {
                ["metadata"] = new JsonObject { ["status"] = "fresh", ["absolute_epoch_id"] = 1, ["rotation_id"] = 1, ["refreshed_at"] = "2026-11-24T00:00:00Z" },
                ["nodes"] = nodes,
            }.ToJsonString();
        }

        return string.Empty;
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            System.Net.Sockets.TcpClient client = await _listener.AcceptTcpClientAsync(_stop.Token);
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(System.Net.Sockets.TcpClient client)
    {
        using (client)
        {
            try
            {
                NetworkStream stream = client.GetStream();
                var head = new StringBuilder();
                var one = new byte[1];
                while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal) && head.Length < 8192)
                {
                    if (await stream.ReadAsync(one, _stop.Token) == 0)
                    {
                        return;
                    }

                    head.Append((char)one[0]);
                }

                string target = head.ToString().Split(' ')[1];
                Requests.Enqueue(target);
                string body = Respond(target);
                byte[] payload = Encoding.UTF8.GetBytes(body);
                string status = body.Length == 0 ? "404 Not Found" : "200 OK";
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {payload.Length}\r\nConnection: close\r\n\r\n"), _stop.Token);
                await stream.WriteAsync(payload, _stop.Token);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException)
            {
            }
        }
    }
}
