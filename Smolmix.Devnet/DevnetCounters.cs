namespace Smolmix.Devnet;

/// <summary>A snapshot of everything the Devnet counts.</summary>
public sealed record DevnetCounters
{
    /// <summary>WebSocket clients accepted so far.</summary>
    public long WebSocketClients { get; init; }

    /// <summary>WebSocket clients connected now.</summary>
    public int ActiveWebSocketClients { get; init; }

    /// <summary>The mixnet model.</summary>
    public MixnetCounters Mixnet { get; init; } = new();

    /// <summary>The exit.</summary>
    public ExitCounters Exit { get; init; } = new();

    /// <summary>The resolver at the default resolver addresses.</summary>
    public DevnetDnsCounters Dns { get; init; } = new();
}
