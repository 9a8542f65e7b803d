using System.Diagnostics.Metrics;

namespace Smolmix;

/// <summary>
/// Counters of a <see cref="Tunnel"/> across all its sessions, published on the "Smolmix.Tunnel"
/// meter and readable directly. "Sphinx" figures are estimates: the tunnel does not see the
/// packets nym-client builds, so it computes them from message and SURB sizes.
/// </summary>
public sealed class TunnelMetrics : IDisposable
{
    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private long _ipPacketsSent, _ipPacketsReceived, _messagesSent, _sphinxPayloadBytesSent, _sphinxPacketsSent;
    private long _surbsSent, _repliesReceived, _replySphinxPacketsReceived, _keepAlivesSent, _packetsDropped;
    private long _reconnects, _exitConnectFailures;

    internal TunnelMetrics(IMeterFactory? factory)
    {
        _meter = factory?.Create("Smolmix.Tunnel") ?? new Meter("Smolmix.Tunnel");
        _ownsMeter = factory is null;
        _meter.CreateObservableCounter("smolmix.tunnel.ip_packets_sent", () => IpPacketsSent, description: "IP packets sent into the mixnet");
        _meter.CreateObservableCounter("smolmix.tunnel.ip_packets_received", () => IpPacketsReceived, description: "IP packets received from the exit");
        _meter.CreateObservableCounter("smolmix.tunnel.messages_sent", () => MessagesSent, description: "Data messages (packet bundles) sent to the exit");
        _meter.CreateObservableCounter("smolmix.tunnel.sphinx_payload_bytes_sent", () => SphinxPayloadBytesSent, unit: "By", description: "Sphinx plaintext used by data messages and their SURBs (estimate)");
        _meter.CreateObservableCounter("smolmix.tunnel.sphinx_packets_sent", () => SphinxPacketsSent, description: "Sphinx packets needed by data messages (estimate)");
        _meter.CreateObservableCounter("smolmix.tunnel.surbs_sent", () => SurbsSent, description: "Reply SURBs attached to messages");
        _meter.CreateObservableCounter("smolmix.tunnel.replies_received", () => RepliesReceived, description: "Messages received from the exit");
        _meter.CreateObservableCounter("smolmix.tunnel.reply_sphinx_packets_received", () => ReplySphinxPacketsReceived, description: "Sphinx packets (SURBs consumed) of the exit's messages (estimate)");
        _meter.CreateObservableCounter("smolmix.tunnel.keepalives_sent", () => KeepAlivesSent, description: "Keepalive packets sent on an idle tunnel");
        _meter.CreateObservableCounter("smolmix.tunnel.packets_dropped", () => PacketsDropped, description: "Outgoing IP packets dropped while no session was up");
        _meter.CreateObservableCounter("smolmix.tunnel.reconnects", () => Reconnects, description: "Sessions re-established after a loss");
        _meter.CreateObservableCounter("smolmix.tunnel.exit_connect_failures", () => ExitConnectFailures, description: "Exits that could not be connected");
    }

    /// <summary>IP packets sent into the mixnet (keepalives included).</summary>
    public long IpPacketsSent => Volatile.Read(ref _ipPacketsSent);

    /// <summary>IP packets received from the exit.</summary>
    public long IpPacketsReceived => Volatile.Read(ref _ipPacketsReceived);

    /// <summary>Data messages (bundles of IP packets) sent to the exit.</summary>
    public long MessagesSent => Volatile.Read(ref _messagesSent);

    /// <summary>Sphinx plaintext bytes used by data messages, their framing and their SURBs (estimate).</summary>
    public long SphinxPayloadBytesSent => Volatile.Read(ref _sphinxPayloadBytesSent);

    /// <summary>Sphinx packets needed by data messages and their SURBs (estimate).</summary>
    public long SphinxPacketsSent => Volatile.Read(ref _sphinxPacketsSent);

    /// <summary>Reply SURBs attached to messages (data and control).</summary>
    public long SurbsSent => Volatile.Read(ref _surbsSent);

    /// <summary>Messages received from the exit (data and control).</summary>
    public long RepliesReceived => Volatile.Read(ref _repliesReceived);

    /// <summary>Sphinx packets of the exit's messages, i.e. reply SURBs consumed (estimate).</summary>
    public long ReplySphinxPacketsReceived => Volatile.Read(ref _replySphinxPacketsReceived);

    /// <summary>Keepalive packets sent because the tunnel was idle.</summary>
    public long KeepAlivesSent => Volatile.Read(ref _keepAlivesSent);

    /// <summary>Outgoing IP packets dropped because no session was up.</summary>
    public long PacketsDropped => Volatile.Read(ref _packetsDropped);

    /// <summary>Sessions re-established after a loss.</summary>
    public long Reconnects => Volatile.Read(ref _reconnects);

    /// <summary>Connect attempts to an exit that failed.</summary>
    public long ExitConnectFailures => Volatile.Read(ref _exitConnectFailures);

    internal void MessageSent(int ipPackets, int sphinxPayloadBytes, int sphinxPackets, int surbs)
    {
        Interlocked.Add(ref _ipPacketsSent, ipPackets);
        Interlocked.Increment(ref _messagesSent);
        Interlocked.Add(ref _sphinxPayloadBytesSent, sphinxPayloadBytes);
        Interlocked.Add(ref _sphinxPacketsSent, sphinxPackets);
        Interlocked.Add(ref _surbsSent, surbs);
    }

    internal void ControlSurbsSent(int surbs) => Interlocked.Add(ref _surbsSent, surbs);

    internal void ReplyReceived(int sphinxPackets)
    {
        Interlocked.Increment(ref _repliesReceived);
        Interlocked.Add(ref _replySphinxPacketsReceived, sphinxPackets);
    }

    internal void PacketReceived() => Interlocked.Increment(ref _ipPacketsReceived);

    internal void KeepAliveSent() => Interlocked.Increment(ref _keepAlivesSent);

    internal void PacketDropped() => Interlocked.Increment(ref _packetsDropped);

    internal void Reconnected() => Interlocked.Increment(ref _reconnects);

    internal void ExitConnectFailed() => Interlocked.Increment(ref _exitConnectFailures);

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
