using System.Net;
using System.Threading.Channels;
using Smolmix.Nym;

namespace Smolmix.Tests.Nym;

/// <summary>
/// An IP packet router behind <see cref="FakeNymClientServer"/>, answering per the spec: LP
/// detection and the framing rule, unknown versions dropped silently, inline replies on seq 0,
/// data replies on seq 1, 2, … of the connect-time stream, v10 connect success with the MTU.
/// </summary>
internal sealed class FakeIprExit
{
    private readonly FakeNymClientServer _server;
    private readonly Lock _gate = new();
    private uint _nextSequence = 1;

    public FakeIprExit(FakeNymClientServer server, params byte[] versions)
    {
        _server = server;
        Versions = [.. versions];
        server.OnMessage = HandleAsync;
    }

    public NymAddress Address { get; } = NymAddress.Parse(Vectors.D1rr);

    public HashSet<byte> Versions { get; }

    public ushort Mtu { get; set; } = 1500;

    public IprConnectFailureReason? RefuseWith { get; set; }

    public bool Echo { get; set; } = true;

    /// <summary>Answer v10 connects with a v9-shaped body (no MTU), as some exits do.</summary>
    public bool OmitMtu { get; set; }

    public IPAddress Ipv4 { get; } = IPAddress.Parse("10.0.3.7");

    public IPAddress Ipv6 { get; } = IPAddress.Parse("fc00::307");

    public int OpenFrames { get; private set; }

    public int FramingViolations { get; private set; }

    /// <summary>Every IPR request that parsed, including those of unsupported versions.</summary>
    public Channel<IprEnvelope<IprRequest>> Seen { get; } = Channel.CreateUnbounded<IprEnvelope<IprRequest>>();

    /// <summary>Reply SURB counts of every message to the exit.</summary>
    public List<uint> Surbs { get; } = [];

    public byte? SessionVersion { get; private set; }

    public ulong? SessionStream { get; private set; }

    public static IprBuildInfo BuildInfo { get; } = new("nym-node", "t", "1.37.0", "sha", "t", "main", "1.80", "stable", "release", "x86_64");

    public async Task<IprEnvelope<IprRequest>> NextAsync(Func<IprRequest, bool>? predicate = null)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            IprEnvelope<IprRequest> envelope = await Seen.Reader.ReadAsync(timeout.Token);
            if (predicate is null || predicate(envelope.Message))
            {
                return envelope;
            }
        }
    }

    public Task PushDataAsync(byte[] bundle)
    {
        uint sequence;
        lock (_gate)
        {
            sequence = _nextSequence++;
        }

        return ReplyAsync(new IprDataResponse(SessionVersion!.Value, bundle), SessionStream, sequence);
    }

    public Task PushAsync(IprResponse response, ulong? stream = null, uint sequence = 0)
        => ReplyAsync(response, stream ?? SessionStream, sequence);

    public Task PushRawAsync(byte[] message) => _server.PushAsync(new NymClientResponse.Received(null, message));

    private Task ReplyAsync(IprResponse response, ulong? stream, uint sequence)
        => _server.PushAsync(new NymClientResponse.Received(null, IprMessageReader.Frame(response.ToArray(), stream, sequence)));

    private async Task HandleAsync(NymClientRequest request)
    {
        if (request is not NymClientRequest.SendAnonymous send || send.Recipient != Address)
        {
            return;
        }

        lock (_gate)
        {
            Surbs.Add(send.ReplySurbs);
        }

        if (LpFrame.TryDecode(send.Message, out LpFrame frame) && frame.Payload.IsEmpty)
        {
            OpenFrames++;
            return;
        }

        IprEnvelope<IprRequest> envelope;
        try
        {
            if (!IprMessageReader.TryReadRequest(send.Message, out envelope))
            {
                return;
            }
        }
        catch (NymProtocolException)
        {
            FramingViolations++;
            return;
        }

        Seen.Writer.TryWrite(envelope);
        IprRequest message = envelope.Message;
        if (!Versions.Contains(message.Version))
        {
            return;
        }

        switch (message)
        {
            case IprConnectRequest connect when RefuseWith is { } reason:
                await ReplyAsync(new IprConnectFailure(connect.Version, connect.RequestId, reason, reason == IprConnectFailureReason.Other ? "nope" : null), envelope.StreamId, 0);
                break;
            case IprConnectRequest connect:
                SessionVersion = connect.Version;
                SessionStream = envelope.StreamId;
                lock (_gate)
                {
                    _nextSequence = 1;
                }

                if (connect.Version >= IprVersion.V10 && OmitMtu)
                {
                    byte[] v9Shaped = new IprConnectSuccess(IprVersion.V9, connect.RequestId, Ipv4, Ipv6, null).ToArray();
                    v9Shaped[0] = IprVersion.V10;
                    await _server.PushAsync(new NymClientResponse.Received(null, IprMessageReader.Frame(v9Shaped, envelope.StreamId, 0)));
                    break;
                }

                await ReplyAsync(new IprConnectSuccess(connect.Version, connect.RequestId, Ipv4, Ipv6, connect.Version >= IprVersion.V10 ? Mtu : null), envelope.StreamId, 0);
                break;
            case IprDataRequest data when Echo:
                await PushDataAsync(data.Bundle.ToArray());
                break;
            case IprPingRequest ping:
                await ReplyAsync(new IprPongResponse(ping.Version, ping.RequestId), envelope.StreamId, 0);
                break;
            case IprHealthRequest health:
                await ReplyAsync(new IprHealthResponse(health.Version, health.RequestId, BuildInfo, null), envelope.StreamId, 0);
                break;
            case IprDisconnectRequest disconnect:
                SessionVersion = null; // before replying: the client may check as soon as the reply lands
                await ReplyAsync(new IprDisconnectResponse(disconnect.Version, disconnect.RequestId, null, null), envelope.StreamId, 0);
                break;
        }
    }
}
