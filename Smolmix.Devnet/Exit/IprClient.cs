using Smolmix.Nym;
using Smolmix.Wire;

namespace Smolmix.Devnet.Exit;

/// <summary>A connected IPR client: its sender tag, addresses, session version and stream, and return path.</summary>
internal sealed class IprClient : IDisposable
{
    private uint _nextSequence = 1;

    public IprClient(SenderTag tag, byte version, ulong? streamId, IpAddr ipv4, IpAddr ipv6, TimeSpan lastActivity)
    {
        Tag = tag;
        Version = version;
        StreamId = streamId;
        Ipv4 = ipv4;
        Ipv6 = ipv6;
        LastActivity = lastActivity;
    }

    public SenderTag Tag { get; }

    /// <summary>The version of the connect that created the session; stamped on every data response.</summary>
    public byte Version { get; }

    /// <summary>The LP stream the connect arrived on (data responses use it), or null for v8.</summary>
    public ulong? StreamId { get; }

    public IpAddr Ipv4 { get; }

    public IpAddr Ipv6 { get; }

    /// <summary>When the last accepted data packet arrived (exit clock).</summary>
    public TimeSpan LastActivity { get; set; }

    /// <summary>The return-path bundler (set right after construction).</summary>
    public ReturnBundler? Bundler { get; set; }

    /// <summary>Data responses sent.</summary>
    public long DataResponses { get; set; }

    /// <summary>The LP sequence number of the next data response: 1, 2, …, skipping 0 when it wraps.</summary>
    public uint NextSequence()
    {
        uint sequence = _nextSequence;
        _nextSequence = _nextSequence == uint.MaxValue ? 1 : _nextSequence + 1;
        return sequence;
    }

    public void Dispose() => Bundler?.Dispose();
}
