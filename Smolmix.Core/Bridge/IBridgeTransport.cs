using System.Net;
using System.Threading.Channels;

namespace Smolmix.Bridge;

/// <summary>What <see cref="NymBridgeDevice"/> needs from one session with an exit.</summary>
internal interface IBridgeTransport
{
    /// <summary>The IPv4 address the exit allocated (the source of keepalives).</summary>
    IPAddress LocalIpv4 { get; }

    /// <summary>The session's reply SURB policy.</summary>
    SurbPolicy Surbs { get; }

    /// <summary>The session's traffic timestamps.</summary>
    LivenessTracker Liveness { get; }

    /// <summary>IP packets from the exit; completes when the session ends.</summary>
    ChannelReader<ReadOnlyMemory<byte>> Packets { get; }

    /// <summary>The length of the mixnet message that carries a bundle of <paramref name="bundleLength"/> bytes.</summary>
    int DataMessageLength(int bundleLength);

    /// <summary>Waits while nym-client's queue for <paramref name="lane"/> is over its limit.</summary>
    ValueTask WaitForRoomAsync(BridgeLane lane, CancellationToken cancellationToken);

    /// <summary>Whether nym-client's queue for <paramref name="lane"/> is within its limit (asks nym-client when the last known length was over it).</summary>
    ValueTask<bool> HasRoomAsync(BridgeLane lane, CancellationToken cancellationToken);

    /// <summary>Sends a bundle with <paramref name="replySurbs"/> reply SURBs on <paramref name="lane"/>.</summary>
    ValueTask SendBundleAsync(ReadOnlyMemory<byte> bundle, int replySurbs, BridgeLane lane, CancellationToken cancellationToken);
}
