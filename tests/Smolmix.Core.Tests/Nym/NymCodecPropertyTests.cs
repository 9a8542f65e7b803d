using System.Net;
using CsCheck;
using Smolmix.Nym;

namespace Smolmix.Tests.Nym;

public class NymCodecPropertyTests
{
    private static readonly Gen<byte> GenVersion = Gen.OneOf<byte>(8, 9, 10);

    private static readonly Gen<string> GenText = Gen.String[Gen.Char.AlphaNumeric, 0, 12];

    private static readonly Gen<ulong> GenId = Gen.OneOf(Gen.ULong, Gen.ULong[0, 300], Gen.ULong[60000, 70000]);

    private static readonly Gen<NymTimestamp> GenTimestamp =
        Gen.Select(Gen.Int[-9999, 9999], Gen.Int[1, 365], Gen.Int[0, 23], Gen.Int[0, 59], Gen.Int[0, 59], Gen.UInt[0, 999_999_999], Gen.Int[-25, 25], Gen.Int[-59, 59], Gen.Int[-59, 59],
            (y, o, h, m, s, ns, oh, om, os) => NymTimestamp.Create(y, (ushort)o, (byte)h, (byte)m, (byte)s, ns, (sbyte)oh, (sbyte)om, (sbyte)os));

    private static readonly Gen<byte[]> GenBundle = Gen.Byte.Array[0, 64];

    private static readonly Gen<IprRequest> GenRequest = Gen.OneOf<IprRequest>(
        Gen.Select(GenVersion, GenBundle, (v, b) => (IprRequest)new IprDataRequest(v, b)),
        Gen.Select(GenVersion, GenId, Gen.ULong.Nullable(), GenTimestamp, (v, id, buf, ts) => (IprRequest)new IprConnectRequest(v, id, buf, ts)),
        Gen.Select(GenVersion, GenId, GenTimestamp, (v, id, ts) => (IprRequest)new IprDisconnectRequest(v, id, ts)),
        Gen.Select(GenVersion, GenId, GenTimestamp, (v, id, ts) => (IprRequest)new IprPingRequest(v, id, ts)),
        Gen.Select(GenVersion, GenId, GenTimestamp, (v, id, ts) => (IprRequest)new IprHealthRequest(v, id, ts)));

    private static readonly Gen<IPAddress> GenIpv4 = Gen.Byte.Array[4].Select(b => new IPAddress(b));

    private static readonly Gen<IPAddress> GenIpv6 = Gen.Byte.Array[16].Select(b => new IPAddress(b));

    private static readonly Gen<IprBuildInfo> GenBuildInfo = GenText.Array[10].Select(s => new IprBuildInfo(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9]));

    private static readonly Gen<IprInfoReply> GenInfoReply = Gen.OneOf<IprInfoReply>(
        GenText.Select(t => (IprInfoReply)new IprInfoGeneric(t)),
        Gen.Select(Gen.Byte, Gen.Byte, (a, b) => (IprInfoReply)new IprInfoVersionMismatch(a, b)),
        GenText.Select(t => (IprInfoReply)new IprInfoExitPolicyFilterCheckFailed(t)));

    private static readonly Gen<IprResponse> GenResponse = Gen.OneOf<IprResponse>(
        Gen.Select(GenVersion, GenBundle, (v, b) => (IprResponse)new IprDataResponse(v, b)),
        Gen.Select(GenVersion, GenId, GenIpv4, GenIpv6, Gen.UShort, (v, id, a, b, mtu) => (IprResponse)new IprConnectSuccess(v, id, a, b, v >= 10 ? mtu : null)),
        Gen.Select(GenVersion, GenId, Gen.Enum<IprConnectFailureReason>(), GenText, (v, id, r, t) => (IprResponse)new IprConnectFailure(v, id, r, r == IprConnectFailureReason.Other ? t : null)),
        Gen.Select(GenVersion, GenId, Gen.Enum<IprDisconnectFailureReason>().Nullable(), GenText, (v, id, r, t) => (IprResponse)new IprDisconnectResponse(v, id, r, r == IprDisconnectFailureReason.Other ? t : null)),
        Gen.Select(GenVersion, Gen.Enum<IprUnrequestedDisconnectReason>(), GenText, (v, r, t) => (IprResponse)new IprUnrequestedDisconnect(v, r, r == IprUnrequestedDisconnectReason.Other ? t : null)),
        Gen.Select(GenVersion, GenId, (v, id) => (IprResponse)new IprPongResponse(v, id)),
        Gen.Select(GenVersion, GenId, GenBuildInfo, Gen.Bool.Nullable(), (v, id, b, r) => (IprResponse)new IprHealthResponse(v, id, b, r)),
        Gen.Select(GenVersion, GenId, GenInfoReply, Gen.Enum<IprInfoLevel>(), (v, id, r, l) => (IprResponse)new IprInfoResponse(v, id, r, l)));

    [Fact]
    public void IprRequestsRoundTripAndRejectEveryPrefix() => GenRequest.Sample(request =>
    {
        byte[] bytes = request.ToArray();
        Assert.Equal(bytes.Length, request.GetEncodedLength());
        Assert.Equal(request, IprRequest.Decode(bytes));
        TestBytes.EveryPrefixRejected(bytes, m => IprRequest.Decode(m));
    });

    [Fact]
    public void IprResponsesRoundTripAndRejectEveryPrefix() => GenResponse.Sample(response =>
    {
        byte[] bytes = response.ToArray();
        Assert.Equal(bytes.Length, response.GetEncodedLength());
        Assert.Equal(response, IprResponse.Decode(bytes));
        TestBytes.EveryPrefixRejected(bytes, m => IprResponse.Decode(m));
    });

    [Fact]
    public void RandomBytesNeverEscapeAsOtherExceptions() => Gen.Byte.Array[0, 48].Sample(bytes =>
    {
        foreach (Action decode in new Action[]
        {
            () => IprRequest.Decode(bytes),
            () => IprResponse.Decode(bytes),
            () => NymClientRequest.Decode(bytes),
            () => NymClientResponse.Decode(bytes),
            () => IprMessageReader.TryReadResponse(bytes, out _),
            () => PacketBundle.Decode(bytes),
        })
        {
            Exception? ex = Record.Exception(decode);
            Assert.True(ex is null or NymProtocolException, ex?.ToString());
        }
    }, iter: 2000);

    [Fact]
    public void VarintsRoundTrip() => Gen.ULong.Sample(value =>
    {
        var buffer = new byte[9];
        var writer = new BincodeWriter(buffer);
        writer.WriteVarU64(value);
        Assert.Equal(BincodeWriter.VarintLength(value), writer.Position);
        var reader = new BincodeReader(buffer.AsSpan(0, writer.Position));
        Assert.Equal(value, reader.ReadVarU64());
        reader.EnsureEnd();

        writer = new BincodeWriter(buffer);
        writer.WriteVarI64((long)value);
        reader = new BincodeReader(buffer.AsSpan(0, writer.Position));
        Assert.Equal((long)value, reader.ReadVarI64());
    });

    [Fact]
    public void TimestampsRoundTrip() => GenTimestamp.Sample(ts =>
    {
        var buffer = new byte[32];
        var writer = new BincodeWriter(buffer);
        writer.WriteTimestamp(ts);
        var reader = new BincodeReader(buffer.AsSpan(0, writer.Position));
        Assert.Equal(ts, reader.ReadTimestamp());
        reader.EnsureEnd();
    });

    [Fact]
    public void DateTimeOffsetConversionRoundTrips() => Gen.DateTime[new DateTime(1900, 1, 1), new DateTime(2100, 1, 1)].Select(Gen.Int[-14 * 60, 14 * 60], (d, m) => new DateTimeOffset(DateTime.SpecifyKind(d, DateTimeKind.Unspecified), TimeSpan.FromMinutes(m)))
        .Sample(dto => Assert.Equal(dto, NymTimestamp.FromDateTimeOffset(dto).ToDateTimeOffset()));

    [Fact]
    public void Base58RoundTrips() => Gen.Byte.Array[0, 40].Sample(bytes =>
    {
        string text = Base58.Encode(bytes);
        if (bytes.Length == 0)
        {
            Assert.Equal(string.Empty, text);
            return;
        }

        Assert.True(Base58.TryDecode(text, out byte[] decoded));
        Assert.Equal(bytes, decoded);
    });

    [Fact]
    public void LpFramesRoundTrip() => Gen.Select(Gen.ULong, Gen.Enum<LpMessageType>(), Gen.UInt, Gen.Byte.Array[0, 40]).Sample((id, type, seq, payload) =>
    {
        Assert.True(LpFrame.TryDecode(new LpFrame(id, type, seq, payload).ToArray(), out LpFrame frame));
        Assert.Equal((id, type, seq), (frame.StreamId, frame.MessageType, frame.Sequence));
        Assert.Equal(payload, frame.Payload.ToArray());
    });

    [Fact]
    public void BundlesRoundTrip() => Gen.Byte.Array[0, 200].List[0, 8].Sample(packets =>
    {
        byte[] bundle = PacketBundle.Encode(packets.Select(p => (ReadOnlyMemory<byte>)p).ToList());
        List<ReadOnlyMemory<byte>> decoded = PacketBundle.Decode(bundle);
        Assert.Equal(packets.Count, decoded.Count);
        for (int i = 0; i < packets.Count; i++)
        {
            Assert.Equal(packets[i], decoded[i].ToArray());
        }
    });

    [Fact]
    public void BundleEncoderNeverLosesOrReordersPackets() => Gen.Int[0, 1700].List[0, 12].Sample(sizes =>
    {
        var encoder = new PacketBundleEncoder();
        var seen = new List<byte[]>();
        var sent = new List<byte[]>();
        for (int i = 0; i < sizes.Count; i++)
        {
            var packet = new byte[sizes[i]];
            Array.Fill(packet, (byte)i);
            sent.Add(packet);
            if (encoder.Add(packet) is { } bundle)
            {
                Assert.True(bundle.Length <= PacketBundle.DefaultMaxBundleSize || PacketBundle.Decode(bundle).Count == 1);
                seen.AddRange(PacketBundle.Decode(bundle).Select(p => p.ToArray()));
            }
        }

        if (encoder.Flush() is { } last)
        {
            seen.AddRange(PacketBundle.Decode(last).Select(p => p.ToArray()));
        }

        Assert.Equal(sent, seen);
    });

    [Fact]
    public void NymClientMessagesRoundTrip()
    {
        NymAddress address = NymAddress.Parse(Vectors.CytB);
        Gen<SenderTag> genTag = Gen.Byte.Array[16].Select(b => SenderTag.FromBytes(b));
        Gen<NymClientRequest> requests = Gen.OneOf<NymClientRequest>(
            Gen.Select(GenBundle, Gen.ULong, (m, c) => (NymClientRequest)new NymClientRequest.Send(address, m, c)),
            Gen.Select(GenBundle, Gen.UInt, Gen.ULong, (m, s, c) => (NymClientRequest)new NymClientRequest.SendAnonymous(address, m, s, c)),
            Gen.Select(genTag, GenBundle, Gen.ULong, (t, m, c) => (NymClientRequest)new NymClientRequest.Reply(t, m, c)),
            Gen.ULong.Select(c => (NymClientRequest)new NymClientRequest.ClosedConnection(c)),
            Gen.ULong.Select(c => (NymClientRequest)new NymClientRequest.GetLaneQueueLength(c)));
        requests.Sample(request =>
        {
            byte[] bytes = request.ToArray();
            Assert.Equal(request, NymClientRequest.Decode(bytes));
            TestBytes.EveryPrefixRejected(bytes, m => NymClientRequest.Decode(m));
        });

        Gen<NymClientResponse> responses = Gen.OneOf<NymClientResponse>(
            Gen.Select(Gen.Enum<NymClientErrorKind>(), GenText, (k, t) => (NymClientResponse)new NymClientResponse.Error(k, t)),
            Gen.Select(genTag.Nullable(), GenBundle, (t, m) => (NymClientResponse)new NymClientResponse.Received(t, m)),
            Gen.Select(Gen.ULong, Gen.ULong, (l, q) => (NymClientResponse)new NymClientResponse.LaneQueueLength(l, q)));
        responses.Sample(response =>
        {
            byte[] bytes = response.ToArray();
            Assert.Equal(response, NymClientResponse.Decode(bytes));
            TestBytes.EveryPrefixRejected(bytes, m => NymClientResponse.Decode(m));
        });
    }
}
