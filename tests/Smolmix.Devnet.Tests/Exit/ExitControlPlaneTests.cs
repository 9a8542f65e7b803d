using System.Net;
using Smolmix.Devnet.Tests.Support;
using Smolmix.Nym;

namespace Smolmix.Devnet.Tests.Exit;

/// <summary>The exit's control plane over the WebSocket, byte-exact where ipr-protocol.md §6.2 gives vectors.</summary>
public sealed class ExitControlPlaneTests
{
    private const string Ips0307 = "0a000307fc000000000000000000000000000307";
    private const string StreamHeader = "03000123456789abcdef";

    private static Task<Devnet> StartAsync(Action<DevnetOptions>? configure = null)
        => TestDevnet.StartAsync(DevnetPreset.Instant, o =>
        {
            o.AddressPicker = () => 0x0307;
            configure?.Invoke(o);
        });

    [Fact]
    public async Task V9Connect_ReplyIsTheSpecVector_OnTheSameStreamWithSequenceZero()
    {
        await using Devnet devnet = await StartAsync();
        await using IprProbe probe = await IprProbe.ConnectAsync(devnet);
        await probe.SendRawAsync(Hex.Bytes(StreamHeader, "000000000000")); // Open frame: logged, no answer
        await probe.SendRawAsync(Hex.Bytes(StreamHeader, "010000000000", "090101007b00", Hex.TS));
        byte[] reply = await probe.ReceiveAsync();
        Hex.Equal(StreamHeader + "010000000000" + "0901007b00" + Ips0307, reply);
        Assert.Equal(1, devnet.Counters.Exit.OpenFrames);
    }

    [Fact]
    public async Task V8Connect_IsRaw_AndItsReplyIsTheSpecVector()
    {
        await using Devnet devnet = await StartAsync();
        await using IprProbe probe = await IprProbe.ConnectAsync(devnet);
        await probe.SendRawAsync(Hex.Bytes("080101007b00", Hex.TS));
        Hex.Equal("0801007b00" + Ips0307, await probe.ReceiveAsync());
    }

    [Theory]
    [InlineData(1420, "fb058c")]
    [InlineData(1500, "fb05dc")]
    [InlineData(1280, "fb0500")]
    public async Task V10Connect_ReplyCarriesTheConfiguredMtu(int mtu, string mtuHex)
    {
        await using Devnet devnet = await StartAsync(o => o.Mtu = mtu);
        await using IprProbe probe = await IprProbe.ConnectAsync(devnet);
        await probe.SendRawAsync(Hex.Bytes(StreamHeader, "010000000000", "0a0101002a00", Hex.TS));
        byte[] reply = await probe.ReceiveAsync();
        Hex.Equal(StreamHeader + "010000000000" + "0a01002a00" + Ips0307 + mtuHex, reply);
        Assert.True(IprMessageReader.TryReadResponse(reply, out IprEnvelope<IprResponse> envelope));
        Assert.Equal((ushort)mtu, Assert.IsType<IprConnectSuccess>(envelope.Message).Mtu);
    }

    public static TheoryData<string, string, ExitDropReason?> Violations => new()
    {
        { "v9 without LP framing", "090101007b00" + Hex.TS, ExitDropReason.FramingViolation },
        { "v10 without LP framing", "0a0101007b00" + Hex.TS, ExitDropReason.FramingViolation },
        { "v8 inside an LP frame", StreamHeader + "010000000000" + "080101007b00" + Hex.TS, ExitDropReason.FramingViolation },
        { "bad service provider byte", StreamHeader + "010000000000" + "090201007b00" + Hex.TS, ExitDropReason.InvalidServiceProviderType },
        { "unknown version 11", StreamHeader + "010000000000" + "0b0101007b00" + Hex.TS, ExitDropReason.UnsupportedVersion },
        { "removed version 7", "070101007b00" + Hex.TS, ExitDropReason.UnsupportedVersion },
        { "invalid LP message type", StreamHeader + "020000000000" + "090101007b00" + Hex.TS, ExitDropReason.InvalidLpFrame },
        { "trailing bytes", StreamHeader + "010000000000" + "090101007b00" + Hex.TS + "00", ExitDropReason.MalformedRequest },
        { "unknown control tag", StreamHeader + "010000000000" + "090101077b" + Hex.TS, ExitDropReason.MalformedRequest },
    };

    [Theory]
    [MemberData(nameof(Violations))]
    public async Task Violations_AreDroppedWithoutAnAnswer(string name, string hex, ExitDropReason? reason)
    {
        await using Devnet devnet = await StartAsync();
        await using IprProbe probe = await IprProbe.ConnectAsync(devnet);
        await probe.SendRawAsync(Hex.Bytes(hex));
        await probe.AssertNextIsPongAsync();
        Assert.True(devnet.Counters.Exit.DropsFor(reason!.Value) == 1, name);
        Assert.Equal(0, devnet.Counters.Exit.ActiveClients);
    }

    [Fact]
    public async Task ConnectWithoutSenderTag_IsDroppedWithoutAnAnswer()
    {
        await using Devnet devnet = await StartAsync();
        await using IprProbe probe = await IprProbe.ConnectAsync(devnet);

        // A plain Send carries no sender tag (and no SURBs, so nothing could come back anyway).
        await probe.Connection.SendAsync(probe.Exit, IprProbe.Framed(probe.StreamId, 0, Hex.Bytes("090101007b00", Hex.TS)));
        await probe.AssertNextIsPongAsync();
        Assert.Equal(1, devnet.Counters.Exit.DropsFor(ExitDropReason.MissingSenderTag));
        Assert.Equal(0, devnet.Counters.Exit.ActiveClients);
    }

    [Fact]
    public async Task Disconnect_FreesTheAllocation_ThenReportsClientNotConnected()
    {
        await using Devnet devnet = await StartAsync();
        await using IprProbe probe = await IprProbe.ConnectAsync(devnet);
        await probe.ConnectAsync();
        Assert.Equal(1, devnet.Counters.Exit.ActiveClients);

        await probe.SendFramedAsync(Hex.Bytes("090101017b", Hex.TS));
        Hex.Equal(StreamHeader + "010000000000" + "0901017b00", await probe.ReceiveAsync());
        Assert.Equal(0, devnet.Counters.Exit.ActiveClients);

        await probe.SendFramedAsync(Hex.Bytes("090101017b", Hex.TS));
        Hex.Equal(StreamHeader + "010000000000" + "0901017b0100", await probe.ReceiveAsync());
    }

    [Fact]
    public async Task Ping_IsAnsweredWithPong_AndHealthWithBuildInfo()
    {
        await using Devnet devnet = await StartAsync();
        await using IprProbe probe = await IprProbe.ConnectAsync(devnet);
        await probe.SendFramedAsync(Hex.Bytes("09010102fb012c", Hex.TS));
        Hex.Equal(StreamHeader + "010000000000" + "090103fb012c", await probe.ReceiveAsync());

        // v8 ping, raw.
        await probe.SendRawAsync(Hex.Bytes("08010102fb012c", Hex.TS));
        Hex.Equal("080103fb012c", await probe.ReceiveAsync());

        await probe.SendFramedAsync(Hex.Bytes("09010103fc00011170", Hex.TS));
        IprEnvelope<IprResponse> envelope = await probe.ReceiveResponseAsync();
        IprHealthResponse health = Assert.IsType<IprHealthResponse>(envelope.Message);
        Assert.Equal(70000UL, health.Id);
        Assert.Null(health.Routable);
        Assert.Equal("1.37.0", health.BuildInfo.BuildVersion);
    }

    [Fact]
    public async Task RawReconnect_ReturnsTheSameAddresses_StreamReconnect_AllocatesNewOnes()
    {
        var picks = new Queue<int>([0x0307, 0x0408, 0x0509]);
        await using Devnet devnet = await TestDevnet.StartAsync(DevnetPreset.Instant, o => o.AddressPicker = () => picks.Count > 0 ? picks.Dequeue() : 0x0a0a);
        await using IprProbe probe = await IprProbe.ConnectAsync(devnet);
        IprConnectSuccess first = await probe.ConnectAsync(IprVersion.V8, 1);
        IprConnectSuccess again = await probe.ConnectAsync(IprVersion.V8, 2);
        Assert.Equal(IPAddress.Parse("10.0.3.7"), first.Ipv4);
        Assert.Equal(first.Ipv4, again.Ipv4);
        Assert.Equal(first.Ipv6, again.Ipv6);
        Assert.Equal(1, devnet.Counters.Exit.Allocations);

        IprConnectSuccess stream = await probe.ConnectAsync(IprVersion.V9, 3);
        Assert.Equal(IPAddress.Parse("10.0.4.8"), stream.Ipv4);
        Assert.Equal(IPAddress.Parse("fc00::408"), stream.Ipv6);
        Assert.Equal(1, devnet.Counters.Exit.ActiveClients);
    }

    [Fact]
    public async Task Allocation_SkipsTheGatewayAddress_AndFailsAfter100Tries()
    {
        int calls = 0;
        await using Devnet devnet = await TestDevnet.StartAsync(DevnetPreset.Instant, o => o.AddressPicker = () => ++calls == 1 ? 1 : calls == 2 ? 0x0307 : 0x0307);
        await using IprProbe first = await IprProbe.ConnectAsync(devnet);
        IprConnectSuccess ok = await first.ConnectAsync();
        Assert.Equal(IPAddress.Parse("10.0.3.7"), ok.Ipv4);
        Assert.Equal(2, calls);

        // Every further draw collides with 10.0.3.7: NoAvailableIp after 100 tries.
        await using IprProbe second = await IprProbe.ConnectAsync(devnet);
        await second.SendFramedAsync(Hex.Bytes("090101007b00", Hex.TS));
        Hex.Equal(StreamHeader + "010000000000" + "0901007b0101", await second.ReceiveAsync());
        Assert.Equal(102, calls);
    }

    [Fact]
    public async Task TwoWebSocketClients_AreTwoIprClients()
    {
        await using Devnet devnet = await TestDevnet.StartAsync();
        await using IprProbe a = await IprProbe.ConnectAsync(devnet);
        await using IprProbe b = await IprProbe.ConnectAsync(devnet);
        IprConnectSuccess first = await a.ConnectAsync();
        IprConnectSuccess second = await b.ConnectAsync();
        Assert.NotEqual(first.Ipv4, second.Ipv4);
        Assert.Equal(2, devnet.Counters.Exit.ActiveClients);
        var v4 = first.Ipv4.GetAddressBytes();
        Assert.Equal([10, 0], v4[..2]);
        Assert.StartsWith("fc00::", first.Ipv6.ToString(), StringComparison.Ordinal);
    }
}
