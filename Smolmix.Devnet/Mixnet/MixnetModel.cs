using Microsoft.Extensions.Logging;
using Smolmix.Devnet.Timing;
using Smolmix.Nym;

namespace Smolmix.Devnet.Mixnet;

/// <summary>
/// The Devnet's model of the Nym mixnet between nym-clients and the exit. Messages become Sphinx
/// packets that wait for a slot of their sender's Poisson process, then travel independently with
/// exponential per-hop mixing delays plus link latency; a message is delivered when its last packet
/// arrives and lost with any of its packets. Replies spend one reply SURB per packet, the replier
/// keeps a reserve for asking for more, and replies wait while SURBs are short — the receiver side
/// of Nym's reply controller. All random decisions come from one seeded <see cref="Random"/>.
/// </summary>
internal sealed class MixnetModel
{
    private readonly MixnetOptions _options;
    private readonly EventScheduler _scheduler;
    private readonly Random _random;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<NymAddress, MixnetNode> _nodes = [];
    private readonly RunningStatistics _queueing = new();
    private readonly RunningStatistics _surbWait = new();
    private readonly RunningStatistics _mixDelay = new();
    private readonly RunningStatistics _pathDelay = new();
    private long _messagesSent;
    private long _messagesDelivered;
    private long _messagesLost;
    private long _messagesDuplicated;
    private long _messagesUndeliverable;
    private long _packetsSent;
    private long _packetsDelivered;
    private long _packetsLost;
    private long _packetsQueued;
    private long _surbsReceived;
    private long _surbsConsumed;
    private long _surbRequests;
    private long _repliesDeferred;
    private long _repliesWaiting;
    private long _repliesDropped;

    public MixnetModel(MixnetOptions options, EventScheduler scheduler, Random random, ILogger logger)
    {
        _options = options;
        _scheduler = scheduler;
        _random = random;
        _logger = logger;
    }

    /// <summary>The options in effect.</summary>
    public MixnetOptions Options => _options;

    /// <summary>The model's clock.</summary>
    public TimeSpan Now => _scheduler.Now;

    /// <summary>Makes <paramref name="endpoint"/> reachable at its address, sending at most one packet per <paramref name="sendingInterval"/> on average.</summary>
    /// <exception cref="InvalidOperationException">The address is taken.</exception>
    public void Register(IMixnetEndpoint endpoint, TimeSpan? sendingInterval)
    {
        lock (_gate)
        {
            if (!_nodes.TryAdd(endpoint.Address, new MixnetNode(endpoint, sendingInterval)))
            {
                throw new InvalidOperationException("That Nym address is already registered.");
            }
        }
    }

    /// <summary>Removes <paramref name="endpoint"/>; messages for it are dropped from now on.</summary>
    public void Unregister(IMixnetEndpoint endpoint)
    {
        lock (_gate)
        {
            if (_nodes.TryGetValue(endpoint.Address, out MixnetNode? node) && node.Endpoint == endpoint)
            {
                node.Registered = false;
                _nodes.Remove(endpoint.Address);
            }
        }
    }

    /// <summary>
    /// Sends a message from <paramref name="from"/> to <paramref name="to"/>. With a sender tag it is
    /// repliable and carries <paramref name="replySurbs"/> SURBs, which enlarge it.
    /// </summary>
    /// <returns>False when <paramref name="from"/> is not registered.</returns>
    public bool Send(NymAddress from, NymAddress to, ReadOnlyMemory<byte> message, SenderTag? tag, uint replySurbs, ulong lane)
    {
        lock (_gate)
        {
            if (!_nodes.TryGetValue(from, out MixnetNode? node))
            {
                return false;
            }

            TimeSpan now = _scheduler.Now;
            int surbs = tag.HasValue ? (int)Math.Min(replySurbs, int.MaxValue / 2) : 0;
            int packets = PacketsFor(message.Length, surbs);
            int copies = Duplicate() ? 2 : 1;
            for (int copy = 0; copy < copies; copy++)
            {
                var inFlight = new InFlightMessage(MessageKind.Forward, node, to, message, tag, surbs, packets, now);
                _messagesSent++;
                node.AddToLane(lane, packets);
                for (int i = 0; i < packets; i++)
                {
                    EnqueuePacket(node, inFlight, lane, now);
                }
            }

            return true;
        }
    }

    /// <summary>
    /// Replies from <paramref name="from"/> to the client behind <paramref name="tag"/> through its
    /// SURBs: one SURB per packet, above the reserve; packets without one wait.
    /// </summary>
    /// <returns>False when there are no SURBs for the tag at all (the reply is dropped, as nym-client does).</returns>
    public bool Reply(NymAddress from, SenderTag tag, ReadOnlyMemory<byte> message, ulong lane)
    {
        lock (_gate)
        {
            if (!_nodes.TryGetValue(from, out MixnetNode? node))
            {
                return false;
            }

            if (!node.Accounts.TryGetValue(tag, out SurbAccount? account))
            {
                _repliesDropped++;
                _logger.LogDebug("A reply to sender tag {Tag} was dropped: no reply SURBs were ever received for it.", tag);
                return false;
            }

            TimeSpan now = _scheduler.Now;
            int packets = PacketsFor(message.Length, 0);
            int copies = Duplicate() ? 2 : 1;
            for (int copy = 0; copy < copies; copy++)
            {
                var inFlight = new InFlightMessage(MessageKind.Reply, node, account.Owner, message, tag, 0, packets, now);
                _messagesSent++;
                node.AddToLane(lane, packets);
                for (int i = 0; i < packets; i++)
                {
                    account.Waiting.Enqueue(new PendingReplyPacket(inFlight, lane, now));
                    _repliesWaiting++;
                }
            }

            FlushReplies(node, tag, account, now);
            return true;
        }
    }

    /// <summary>Diagnostics: each node's sending queue as "lane:packets" pairs.</summary>
    internal string DescribeSendingQueues()
    {
        lock (_gate)
        {
            return string.Join("; ", _nodes.Values.Where(n => n.SendingQueue.Count > 0)
                .Select(n => string.Join(" ", n.SendingQueue.Select(l => $"{l.Key % 1000}:{l.Value.Packets.Count}"))));
        }
    }

    /// <summary>Packets of <paramref name="lane"/> that <paramref name="from"/> has not sent yet.</summary>
    public long LaneQueueLength(NymAddress from, ulong lane)
    {
        lock (_gate)
        {
            return _nodes.TryGetValue(from, out MixnetNode? node) ? node.Lanes.GetValueOrDefault(lane) : 0;
        }
    }

    /// <summary>SURBs <paramref name="replier"/> holds for <paramref name="tag"/>.</summary>
    public int AvailableSurbs(NymAddress replier, SenderTag tag)
    {
        lock (_gate)
        {
            return _nodes.TryGetValue(replier, out MixnetNode? node) && node.Accounts.TryGetValue(tag, out SurbAccount? account) ? account.Available : 0;
        }
    }

    /// <summary>Sphinx packets a message of <paramref name="length"/> bytes with <paramref name="surbs"/> reply SURBs needs.</summary>
    public int PacketsFor(int length, int surbs)
    {
        long bytes = length + ((long)surbs * _options.ReplySurbSize);
        return (int)Math.Max(1, (bytes + _options.PacketPayloadSize - 1) / _options.PacketPayloadSize);
    }

    /// <summary>A snapshot of the counters.</summary>
    public MixnetCounters Snapshot()
    {
        lock (_gate)
        {
            return new MixnetCounters
            {
                MessagesSent = _messagesSent,
                MessagesDelivered = _messagesDelivered,
                MessagesLost = _messagesLost,
                MessagesDuplicated = _messagesDuplicated,
                MessagesUndeliverable = _messagesUndeliverable,
                PacketsSent = _packetsSent,
                PacketsDelivered = _packetsDelivered,
                PacketsLost = _packetsLost,
                PacketsQueued = _packetsQueued,
                SurbsReceived = _surbsReceived,
                SurbsConsumed = _surbsConsumed,
                SurbRequests = _surbRequests,
                RepliesDeferred = _repliesDeferred,
                RepliesWaiting = _repliesWaiting,
                RepliesDropped = _repliesDropped,
                QueueingDelay = _queueing.Snapshot(),
                SurbWaitDelay = _surbWait.Snapshot(),
                MixDelay = _mixDelay.Snapshot(),
                PathDelay = _pathDelay.Snapshot(),
            };
        }
    }

    /// <summary>Draws one packet's mixing delay and whole path delay.</summary>
    internal (TimeSpan Mixing, TimeSpan Path) SamplePathDelay()
    {
        double mixing = 0;
        double meanHop = _options.MeanHopDelay.TotalMilliseconds;
        for (int hop = 0; hop < _options.MixHops && meanHop > 0; hop++)
        {
            mixing += Exponential(meanHop);
        }

        double links = 0;
        double min = _options.LinkLatencyMin.TotalMilliseconds;
        double spread = (_options.LinkLatencyMax - _options.LinkLatencyMin).TotalMilliseconds;
        if (_options.LinkLatencyMax > TimeSpan.Zero)
        {
            for (int link = 0; link < _options.LinkCount; link++)
            {
                links += min + (spread * _random.NextDouble());
            }
        }

        return (TimeSpan.FromMilliseconds(mixing), TimeSpan.FromMilliseconds(mixing + links));
    }

    private double Exponential(double mean) => -mean * Math.Log(1 - _random.NextDouble());

    private bool Duplicate()
    {
        if (_options.DuplicationRate > 0 && _random.NextDouble() < _options.DuplicationRate)
        {
            _messagesDuplicated++;
            return true;
        }

        return false;
    }

    /// <summary>
    /// Puts one packet on <paramref name="node"/>'s sending queue: its lane of the transmission buffer,
    /// drained one packet per slot of the node's Poisson process (<see cref="OnSendingSlot"/>). Without
    /// a Poisson process the packet leaves at once. Caller holds the lock.
    /// </summary>
    private void EnqueuePacket(MixnetNode node, InFlightMessage message, ulong lane, TimeSpan now)
    {
        _packetsQueued++;
        if (node.SendingInterval is not { } mean)
        {
            // No longer queued for its lane, even before the scheduler runs its departure (a lane length
            // that counted it until then would make a sender that polls the lane wait for nothing).
            node.AddToLane(lane, -1);
            _queueing.Add(TimeSpan.Zero);
            _scheduler.Schedule(now, t => OnDeparture(node, message, lane, inLane: false, t));
            return;
        }

        node.Enqueue(new QueuedPacket(message, lane, now));
        if (!node.SlotScheduled)
        {
            // The Poisson process ticks whether or not anything is queued (cover traffic fills empty
            // slots); being memoryless, the next tick after any moment is an exponential gap away.
            node.SlotScheduled = true;
            _scheduler.Schedule(now + TimeSpan.FromMilliseconds(Exponential(mean.TotalMilliseconds)), t => OnSendingSlot(node, t));
        }
    }

    /// <summary>A slot of <paramref name="node"/>'s Poisson process: the packet nym-client would pick leaves.</summary>
    private void OnSendingSlot(MixnetNode node, TimeSpan now)
    {
        QueuedPacket packet;
        lock (_gate)
        {
            if (!node.TryTakeNext(_random, out packet))
            {
                node.SlotScheduled = false;
                return;
            }

            _queueing.Add(now - packet.EnqueuedAt);
            if (node.SendingQueue.Count > 0 && node.SendingInterval is { } mean)
            {
                _scheduler.Schedule(now + TimeSpan.FromMilliseconds(Exponential(mean.TotalMilliseconds)), t => OnSendingSlot(node, t));
            }
            else
            {
                node.SlotScheduled = false;
            }
        }

        OnDeparture(node, packet.Message, packet.Lane, inLane: true, now);
    }

    private void OnDeparture(MixnetNode node, InFlightMessage message, ulong lane, bool inLane, TimeSpan now)
    {
        lock (_gate)
        {
            _packetsQueued--;
            _packetsSent++;
            if (inLane)
            {
                node.AddToLane(lane, -1);
            }

            if (message.Lost)
            {
                return;
            }

            if (_options.LossRate > 0 && _random.NextDouble() < _options.LossRate)
            {
                message.Lost = true;
                _packetsLost++;
                _messagesLost++;
                return;
            }

            (TimeSpan mixing, TimeSpan path) = SamplePathDelay();
            _mixDelay.Add(mixing);
            _pathDelay.Add(path);
            _scheduler.Schedule(now + path, t => OnArrival(message, t));
        }
    }

    private void OnArrival(InFlightMessage message, TimeSpan now)
    {
        (IMixnetEndpoint Endpoint, MixnetDelivery Delivery)? delivery = null;
        lock (_gate)
        {
            _packetsDelivered++;
            if (message.Lost || --message.Remaining > 0)
            {
                return;
            }

            delivery = Complete(message, now);
        }

        if (delivery is { } d)
        {
            d.Endpoint.Deliver(d.Delivery);
        }
    }

    /// <summary>A whole message arrived. Caller holds the lock.</summary>
    private (IMixnetEndpoint, MixnetDelivery)? Complete(InFlightMessage message, TimeSpan now)
    {
        if (!_nodes.TryGetValue(message.To, out MixnetNode? destination))
        {
            _messagesUndeliverable++;
            _logger.LogDebug("A {Kind} message arrived for an address nobody holds; dropped.", message.Kind);
            return null;
        }

        _messagesDelivered++;
        switch (message.Kind)
        {
            case MessageKind.Forward:
                if (message.Tag is { } tag)
                {
                    AddSurbs(destination, tag, message.From.Address, message.Surbs, fromRequest: false, now);
                }

                return (destination.Endpoint, new MixnetDelivery(message.Payload, message.Tag, message.SentAt, now));

            case MessageKind.Reply:
                return (destination.Endpoint, new MixnetDelivery(message.Payload, null, message.SentAt, now));

            case MessageKind.SurbRequest:
            {
                // The sender's nym-client answers on its own with fresh SURBs, through its own queue.
                int amount = Math.Min(message.Surbs, _options.MaximumAllowedSurbRequest);
                var topUp = new InFlightMessage(MessageKind.SurbTopUp, destination, message.From.Address, ReadOnlyMemory<byte>.Empty, message.Tag, amount, PacketsFor(0, amount), now);
                _messagesSent++;
                for (int i = 0; i < topUp.Packets; i++)
                {
                    EnqueuePacket(destination, topUp, 0, now);
                }

                return null;
            }

            case MessageKind.SurbTopUp:
                AddSurbs(destination, message.Tag!.Value, message.From.Address, message.Surbs, fromRequest: true, now);
                return null;

            default:
                return null;
        }
    }

    /// <summary>Stores SURBs that arrived at <paramref name="replier"/> and sends what was waiting for them. Caller holds the lock.</summary>
    private void AddSurbs(MixnetNode replier, SenderTag tag, NymAddress owner, int count, bool fromRequest, TimeSpan now)
    {
        if (!replier.Accounts.TryGetValue(tag, out SurbAccount? account))
        {
            if (count == 0)
            {
                return;
            }

            account = new SurbAccount(owner);
            replier.Accounts[tag] = account;
        }

        account.Owner = owner;
        account.Available += count;
        _surbsReceived += count;
        if (fromRequest)
        {
            account.PendingReception = Math.Max(0, account.PendingReception - count);
        }

        if (count > 0)
        {
            account.LastReceivedAt = now;
            account.Rerequests = 0;
        }

        FlushReplies(replier, tag, account, now);
    }

    /// <summary>Sends waiting reply packets while SURBs above the reserve last, then asks for more if needed. Caller holds the lock.</summary>
    private void FlushReplies(MixnetNode node, SenderTag tag, SurbAccount account, TimeSpan now)
    {
        int spendable = Math.Max(0, account.Available - _options.MinimumSurbThreshold);
        while (spendable > 0 && account.Waiting.TryDequeue(out PendingReplyPacket? packet))
        {
            spendable--;
            account.Available--;
            _surbsConsumed++;
            _repliesWaiting--;
            if (packet.Deferred)
            {
                _surbWait.Add(now - packet.EnqueuedAt);
            }

            EnqueuePacket(node, packet.Message, packet.Lane, now);
        }

        foreach (PendingReplyPacket waiting in account.Waiting)
        {
            if (!waiting.Deferred)
            {
                waiting.Deferred = true;
                _repliesDeferred++;
            }
        }

        if (ShouldRequestMore(account))
        {
            RequestMore(node, tag, account, now);
        }

        if (account.Waiting.Count > 0 && !account.CheckScheduled)
        {
            account.CheckScheduled = true;
            _scheduler.Schedule(now + _options.SurbRerequestWait, t => CheckStale(node, tag, account, t));
        }
    }

    private bool ShouldRequestMore(SurbAccount account)
    {
        int total = account.Available + account.PendingReception;
        return total < _options.MaximumSurbThreshold && total < account.Waiting.Count + _options.MinimumSurbThreshold;
    }

    /// <summary>Spends one SURB (ignoring the reserve) on asking the tag's owner for more. Caller holds the lock.</summary>
    private void RequestMore(MixnetNode node, SenderTag tag, SurbAccount account, TimeSpan now)
    {
        if (account.Available == 0)
        {
            _logger.LogDebug("No SURB left to ask sender tag {Tag} for more; waiting for its next message.", tag);
            return;
        }

        int amount = Math.Clamp(account.Waiting.Count, _options.MinimumSurbRequestSize, _options.MaximumSurbRequestSize);
        account.Available--;
        _surbsConsumed++;
        account.PendingReception += amount;
        _surbRequests++;
        var request = new InFlightMessage(MessageKind.SurbRequest, node, account.Owner, ReadOnlyMemory<byte>.Empty, tag, amount, 1, now);
        _messagesSent++;
        EnqueuePacket(node, request, 0, now);
    }

    /// <summary>Repeats a SURB request when replies have waited too long, and gives up after the configured number of tries.</summary>
    private void CheckStale(MixnetNode node, SenderTag tag, SurbAccount account, TimeSpan now)
    {
        lock (_gate)
        {
            account.CheckScheduled = false;
            if (!node.Registered || account.Waiting.Count == 0)
            {
                return;
            }

            if (now - account.LastReceivedAt >= _options.SurbRerequestWait)
            {
                if (account.Rerequests >= _options.MaximumSurbRerequests)
                {
                    _logger.LogDebug("Dropping {Count} reply packets for sender tag {Tag}: no SURBs came back.", account.Waiting.Count, tag);
                    while (account.Waiting.TryDequeue(out PendingReplyPacket? dropped))
                    {
                        node.AddToLane(dropped.Lane, -1);
                        _repliesWaiting--;
                        _repliesDropped++;
                    }

                    return;
                }

                account.Rerequests++;
                account.PendingReception = 0;
                RequestMore(node, tag, account, now);
            }

            account.CheckScheduled = true;
            _scheduler.Schedule(now + _options.SurbRerequestWait, t => CheckStale(node, tag, account, t));
        }
    }
}
