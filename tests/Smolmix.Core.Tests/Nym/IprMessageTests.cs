using System.Net;
using Smolmix.Nym;
using static Smolmix.Tests.Nym.TestBytes;
using static Smolmix.Tests.Nym.Vectors;

namespace Smolmix.Tests.Nym;

public class IprRequestTests
{
    public static TheoryData<string, object> V9Requests => new()
    {
        { "090101007b00" + TS, new IprConnectRequest(9, 123, null, Timestamp) },
        { "09010100fd0123456789abcdef0114" + TS, new IprConnectRequest(9, 0x0123456789abcdef, 20, Timestamp) },
        { "090101017b" + TS, new IprDisconnectRequest(9, 123, Timestamp) },
        { "09010102fb012c" + TS, new IprPingRequest(9, 300, Timestamp) },
        { "09010103fc00011170" + TS, new IprHealthRequest(9, 70000, Timestamp) },
        { "090100060004deadbeef", new IprDataRequest(9, Hex("0004deadbeef")) },
        { "090100fb012c" + Repeat("aa", 300), new IprDataRequest(9, Hex(Repeat("aa", 300))) },
    };

    [Theory]
    [MemberData(nameof(V9Requests))]
    public void V9VectorsEncodeAndDecode(string hex, object requestObject)
    {
        var request = (IprRequest)requestObject;
        Equal(hex, request.ToArray());
        Assert.Equal(hex.Length / 2, request.GetEncodedLength());
        Assert.Equal(request, IprRequest.Decode(Hex(hex)));
    }

    [Theory]
    [MemberData(nameof(V9Requests))]
    public void V8AndV10DifferOnlyInTheFirstByte(string hex, object requestObject)
    {
        var request = (IprRequest)requestObject;
        foreach (byte version in new byte[] { 8, 10 })
        {
            IprRequest other = request with { Version = version };
            string expected = version.ToString("x2", System.Globalization.CultureInfo.InvariantCulture) + hex[2..];
            Equal(expected, other.ToArray());
            Assert.Equal(other, IprRequest.Decode(Hex(expected)));
        }
    }

    [Fact]
    public void V10ConnectVector() => Equal("0a0101007b00" + TS, new IprConnectRequest(10, 123, null, Timestamp).ToArray());

    [Fact]
    public void ConnectSizesPinnedByNym()
    {
        Assert.Equal(21, new IprConnectRequest(4, 123, null, Timestamp).GetEncodedLength());
        Assert.Equal(29, new IprConnectRequest(9, ulong.MaxValue, null, Timestamp).GetEncodedLength());
        Assert.Equal(30, new IprConnectRequest(9, 0x0123456789abcdef, 20, Timestamp).GetEncodedLength());
    }

    [Fact]
    public void NymTestShapesVersion4()
    {
        var connect = new IprConnectRequest(4, 123, null, Timestamp);
        Equal("040101007b00fb0fd0010c3b3bfc1dcd6500000000", connect.ToArray());
        Assert.Equal(connect, IprRequest.Decode(connect.ToArray(), acceptAnyVersion: true));

        var data = new IprDataRequest(4, Hex(Repeat("01", 32)));
        Equal("04010020" + Repeat("01", 32), data.ToArray());
        Assert.Equal(36, data.GetEncodedLength());

        var roundTrip = (IprDataRequest)IprRequest.Decode(new IprDataRequest(4, Hex("0102040205")).ToArray(), acceptAnyVersion: true);
        Assert.Equal(4, roundTrip.Version);
        Equal("0102040205", roundTrip.Bundle.Span);

        Assert.Throws<NymProtocolException>(() => IprRequest.Decode(connect.ToArray()));
    }

    [Fact]
    public void DataHeaderMatchesFullEncoding()
    {
        byte[] bundle = Hex(Repeat("aa", 300));
        var buffer = new byte[IprRequest.DataHeaderLength(bundle.Length) + bundle.Length];
        int header = IprRequest.WriteDataHeader(buffer, 9, bundle.Length);
        bundle.CopyTo(buffer, header);
        Assert.Equal(new IprDataRequest(9, bundle).ToArray(), buffer);
    }

    [Theory]
    [InlineData("0900060004deadbeef")] // service provider byte missing
    [InlineData("090000060004deadbeef")] // NetworkRequester type
    [InlineData("090300060004deadbeef")] // unknown service provider
    [InlineData("090102")] // unknown data tag
    [InlineData("090101047b" + TS)] // unknown control tag
    [InlineData("090100060004deadbeef00")] // trailing byte
    [InlineData("090100070004deadbeef")] // bundle length past the end
    [InlineData("070100060004deadbeef")] // version 7
    [InlineData("0b0100060004deadbeef")] // version 11
    [InlineData("090101007b02" + TS)] // bad Option tag
    public void RejectsMalformedRequests(string hex) => Assert.Throws<NymProtocolException>(() => IprRequest.Decode(Hex(hex)));

    [Theory]
    [MemberData(nameof(V9Requests))]
    public void EveryPrefixIsRejected(string hex, object requestObject)
    {
        var request = (IprRequest)requestObject;
        _ = request;
        EveryPrefixRejected(Hex(hex), m => IprRequest.Decode(m));
    }
}

public class IprResponseTests
{
    private static readonly IprBuildInfo BuildInfo = new("a", "b", "1.30.0", "c", "d", "e", "f", "g", "h", "i");

    public static TheoryData<string, object> V9Responses => new()
    {
        { "0901007b000a000307fc000000000000000000000000000307", new IprConnectSuccess(9, 123, IPAddress.Parse("10.0.3.7"), IPAddress.Parse("fc00::307"), null) },
        { "0901007b0101", new IprConnectFailure(9, 123, IprConnectFailureReason.NoAvailableIp, null) },
        { "0901007b0100", new IprConnectFailure(9, 123, IprConnectFailureReason.ClientAlreadyConnected, null) },
        { "0901007b010203616263", new IprConnectFailure(9, 123, IprConnectFailureReason.Other, "abc") },
        { "0901017b00", new IprDisconnectResponse(9, 123, null, null) },
        { "0901017b0100", new IprDisconnectResponse(9, 123, IprDisconnectFailureReason.ClientNotConnected, null) },
        { "0901017b010103616263", new IprDisconnectResponse(9, 123, IprDisconnectFailureReason.Other, "abc") },
        { "09010200", new IprUnrequestedDisconnect(9, IprUnrequestedDisconnectReason.ClientMixnetTrafficTimeout, null) },
        { "09010201", new IprUnrequestedDisconnect(9, IprUnrequestedDisconnectReason.ClientTunTrafficTimeout, null) },
        { "0901020203616263", new IprUnrequestedDisconnect(9, IprUnrequestedDisconnectReason.Other, "abc") },
        { "090103fb012c", new IprPongResponse(9, 300) },
        { "09010500020a312e322e332e343a323501", new IprInfoResponse(9, 0, new IprInfoExitPolicyFilterCheckFailed("1.2.3.4:25"), IprInfoLevel.Warn) },
        { "0901050501070802", new IprInfoResponse(9, 5, new IprInfoVersionMismatch(7, 8), IprInfoLevel.Error) },
        { "09010505000568656c6c6f00", new IprInfoResponse(9, 5, new IprInfoGeneric("hello"), IprInfoLevel.Info) },
        { "090104fc000111700161016206312e33302e30016301640165016601670168016900", new IprHealthResponse(9, 70000, BuildInfo, null) },
        { "090104fc000111700161016206312e33302e3001630164016501660167016801690101", new IprHealthResponse(9, 70000, BuildInfo, true) },
        { "09000a0004deadbeef0002cafe", new IprDataResponse(9, Hex("0004deadbeef0002cafe")) },
    };

    public static TheoryData<string, object> V10Responses => new()
    {
        { "0a01002a000a00000200000000000000000000000000000001fb05dc", Success10(1500) },
        { "0a01002a000a00000200000000000000000000000000000001fb058c", Success10(1420) },
        { "0a01002a000a00000200000000000000000000000000000001fb0500", Success10(1280) },
        { "0a01002a000a00000200000000000000000000000000000001fa", Success10(250) },
        { "0a01002a000a00000200000000000000000000000000000001fb00fb", Success10(251) },
        { "0a01002a0101", new IprConnectFailure(10, 42, IprConnectFailureReason.NoAvailableIp, null) },
        { "0a0103fb012c", new IprPongResponse(10, 300) },
    };

    [Theory]
    [MemberData(nameof(V9Responses))]
    [MemberData(nameof(V10Responses))]
    public void VectorsEncodeAndDecode(string hex, object responseObject)
    {
        var response = (IprResponse)responseObject;
        Equal(hex, response.ToArray());
        Assert.Equal(hex.Length / 2, response.GetEncodedLength());
        Assert.Equal(response, IprResponse.Decode(Hex(hex)));
    }

    [Theory]
    [MemberData(nameof(V9Responses))]
    public void V8DiffersOnlyInTheFirstByte(string hex, object responseObject)
    {
        var response = (IprResponse)responseObject;
        string v8 = "08" + hex[2..];
        IprResponse expected = response with { Version = 8 };
        Equal(v8, expected.ToArray());
        Assert.Equal(expected, IprResponse.Decode(Hex(v8)));
    }

    [Fact]
    public void V10ConnectSuccessSizes()
    {
        Assert.Equal(28, Success10(1500).GetEncodedLength());
        Assert.Equal(26, Success10(250).GetEncodedLength());
        Assert.Equal(25, IprResponse.Decode(Hex("0901007b000a000307fc000000000000000000000000000307")).GetEncodedLength());
    }

    [Fact]
    public void V8ShapedSuccessIsRejectedAsV10AndViceVersa()
    {
        const string v8 = "0801002a000a00000200000000000000000000000000000001";
        var decoded = (IprConnectSuccess)IprResponse.Decode(Hex(v8));
        Assert.Null(decoded.Mtu);
        Assert.Equal(IPAddress.Parse("10.0.0.2"), decoded.Ipv4);
        Assert.Equal(IPAddress.IPv6Loopback, decoded.Ipv6);
        Assert.Throws<NymProtocolException>(() => IprResponse.Decode(Hex("0a" + v8[2..])));
        Assert.Throws<NymProtocolException>(() => IprResponse.Decode(Hex("09" + "01002a000a00000200000000000000000000000000000001fb05dc")));
    }

    [Fact]
    public void TolerantModeAcceptsAV10SuccessWithoutMtu()
    {
        byte[] v9Shaped = Hex("0a01002a000a00000200000000000000000000000000000001");
        Assert.Throws<NymProtocolException>(() => IprResponse.Decode(v9Shaped));
        var success = (IprConnectSuccess)IprResponse.Decode(v9Shaped, tolerateV10WithoutMtu: true);
        Assert.Equal(10, success.Version);
        Assert.Null(success.Mtu);
        Assert.Equal((ushort)1500, ((IprConnectSuccess)IprResponse.Decode(Hex("0a01002a000a00000200000000000000000000000000000001fb05dc"), tolerateV10WithoutMtu: true)).Mtu);
        Assert.Throws<NymProtocolException>(() => IprResponse.Decode(Hex("0a01002a000a00000200000000000000000000000000000001fb05"), tolerateV10WithoutMtu: true));
    }

    [Fact]
    public void MtuFieldMustMatchVersion()
    {
        Assert.Throws<InvalidOperationException>(() => new IprConnectSuccess(10, 1, IPAddress.Any, IPAddress.IPv6Any, null).ToArray());
        Assert.Throws<InvalidOperationException>(() => new IprConnectSuccess(9, 1, IPAddress.Any, IPAddress.IPv6Any, 1500).ToArray());
    }

    [Fact]
    public void DataBundleIsASliceNotACopy()
    {
        byte[] message = Hex("09000a0004deadbeef0002cafe");
        var data = (IprDataResponse)IprResponse.Decode(message);
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(data.Bundle, out ArraySegment<byte> segment));
        Assert.Same(message, segment.Array);
        Assert.Equal(3, segment.Offset);
    }

    [Fact]
    public void DataHeaderMatchesFullEncoding()
    {
        byte[] bundle = Hex("0004deadbeef0002cafe");
        var buffer = new byte[IprResponse.DataHeaderLength(bundle.Length) + bundle.Length];
        int header = IprResponse.WriteDataHeader(buffer, 9, bundle.Length);
        bundle.CopyTo(buffer, header);
        Equal("09000a0004deadbeef0002cafe", buffer);
    }

    [Theory]
    [InlineData("07000a0004deadbeef0002cafe")] // version 7
    [InlineData("0902")] // unknown data tag
    [InlineData("090106")] // unknown control tag
    [InlineData("0901007b02")] // unknown connect reply
    [InlineData("0901007b0103")] // unknown connect failure reason
    [InlineData("0901017b0102")] // unknown disconnect failure reason
    [InlineData("09010203")] // unknown unrequested reason
    [InlineData("0901050501070803")] // unknown level
    [InlineData("09010505030000")] // unknown info reply
    [InlineData("090103fb012c00")] // trailing byte
    [InlineData("090104fc000111700161016206312e33302e300163016401650166016701680169010200")] // routable bool 2
    [InlineData("0901007b010203ff6263")] // invalid UTF-8
    public void RejectsMalformedResponses(string hex) => Assert.Throws<NymProtocolException>(() => IprResponse.Decode(Hex(hex)));

    [Theory]
    [MemberData(nameof(V9Responses))]
    [MemberData(nameof(V10Responses))]
    public void EveryPrefixIsRejected(string hex, object responseObject)
    {
        var response = (IprResponse)responseObject;
        _ = response;
        EveryPrefixRejected(Hex(hex), m => IprResponse.Decode(m));
    }

    [Fact]
    public void RequestIdsAreExposedForMatching()
    {
        Assert.Equal(300UL, IprResponse.Decode(Hex("090103fb012c")).RequestId);
        Assert.Null(IprResponse.Decode(Hex("09010200")).RequestId);
        Assert.Null(IprResponse.Decode(Hex("09000a0004deadbeef0002cafe")).RequestId);
    }

    private static IprConnectSuccess Success10(ushort mtu) => new(10, 42, IPAddress.Parse("10.0.0.2"), IPAddress.IPv6Loopback, mtu);
}
