namespace Smolmix.Bridge;

/// <summary>
/// The nym-client lanes a session sends on. nym-client fills each slot of its Poisson process from a
/// lane picked at random among the non-empty ones (client-core's transmission buffer), so a lane's
/// backlog delays only that lane: a request, a handshake or a datagram of a sparse flow goes on
/// <see cref="Interactive"/>, messages enlarged by a download's SURB top-ups on <see cref="Surbs"/>,
/// bare acknowledgements on <see cref="Acks"/>, bulk data on <see cref="Data"/>.
/// </summary>
internal enum BridgeLane
{
    /// <summary>Bulk data (and acknowledgements that ride along with it).</summary>
    Data,

    /// <summary>Messages that carry a sparse flow's request, handshake or datagram.</summary>
    Interactive,

    /// <summary>Messages enlarged by reply SURBs (top-ups for replies the exit is about to send).</summary>
    Surbs,

    /// <summary>
    /// Messages of bare acknowledgements (and the SURBs in their padding): a download's ACKs do not wait behind
    /// an upload's bulk data on <see cref="Data"/>, which would stretch the download's round trip and with it the
    /// window its receiver offers.
    /// </summary>
    Acks,
}
