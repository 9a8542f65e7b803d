using System.Text;
using Smolmix.Nym;
using static Smolmix.Tests.Nym.TestBytes;
using static Smolmix.Tests.Nym.Vectors;

namespace Smolmix.Tests.Nym;

public class NymClientMessageTests
{
    private static readonly byte[] Foomp = Encoding.ASCII.GetBytes("foomp");

    private static NymAddress Address => NymAddress.Parse(CytB);

    public static TheoryData<string, object> Requests => new()
    {
        { "00" + W + "000000000000002a" + "0000000000000005" + "666f6f6d70", new NymClientRequest.Send(Address, Foomp, 42) },
        { "01" + "0000029a" + W + "000000000000002a0000000000000005666f6f6d70", new NymClientRequest.SendAnonymous(Address, Foomp, 666, 42) },
        { "02" + Repeat("08", 16) + "000000000000002a0000000000000005666f6f6d70", new NymClientRequest.Reply(SenderTag.FromBytes(Hex(Repeat("08", 16))), Foomp, 42) },
        { "03", new NymClientRequest.SelfAddress() },
        { "04000000000000002a", new NymClientRequest.ClosedConnection(42) },
        { "05000000000000002a", new NymClientRequest.GetLaneQueueLength(42) },
    };

    public static TheoryData<string, object> Responses => new()
    {
        { "0101" + Repeat("2a", 16) + "0000000000000005666f6f6d70", new NymClientResponse.Received(SenderTag.FromBytes(Hex(Repeat("2a", 16))), Foomp) },
        { "01000000000000000005666f6f6d70", new NymClientResponse.Received(null, Foomp) },
        { "03000000000000000d000000000000002a", new NymClientResponse.LaneQueueLength(13, 42) },
        { "0003000000000000000d666f6f6d70206d657373616765", new NymClientResponse.Error(NymClientErrorKind.UnknownRequest, "foomp message") },
        { "02" + W, new NymClientResponse.SelfAddress(Address) },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public void RequestVectors(string hex, object requestObject)
    {
        var request = (NymClientRequest)requestObject;
        Equal(hex, request.ToArray());
        Assert.Equal(hex.Length / 2, request.EncodedLength);
        Assert.Equal(request, NymClientRequest.Decode(Hex(hex)));
    }

    [Fact]
    public void RequestVectorLengths()
    {
        Assert.Equal(118, new NymClientRequest.Send(Address, Foomp, 42).EncodedLength);
        Assert.Equal(122, new NymClientRequest.SendAnonymous(Address, Foomp, 666, 42).EncodedLength);
    }

    [Theory]
    [MemberData(nameof(Responses))]
    public void ResponseVectors(string hex, object responseObject)
    {
        var response = (NymClientResponse)responseObject;
        Equal(hex, response.ToArray());
        Assert.Equal(hex.Length / 2, response.EncodedLength);
        Assert.Equal(response, NymClientResponse.Decode(Hex(hex)));
    }

    [Fact]
    public void SendAnonymousHeaderMatchesFullEncoding()
    {
        var request = new NymClientRequest.SendAnonymous(Address, Foomp, 666, 42);
        var buffer = new byte[NymClientRequest.SendAnonymousHeaderLength + Foomp.Length];
        int header = NymClientRequest.WriteSendAnonymousHeader(buffer, Address, 666, 42, Foomp.Length);
        Foomp.CopyTo(buffer, header);
        Assert.Equal(request.ToArray(), buffer);
    }

    [Theory]
    [MemberData(nameof(Requests))]
    public void EveryRequestPrefixIsRejected(string hex, object requestObject)
    {
        var request = (NymClientRequest)requestObject;
        _ = request;
        EveryPrefixRejected(Hex(hex), m => NymClientRequest.Decode(m));
    }

    [Theory]
    [MemberData(nameof(Responses))]
    public void EveryResponsePrefixIsRejected(string hex, object responseObject)
    {
        var response = (NymClientResponse)responseObject;
        _ = response;
        EveryPrefixRejected(Hex(hex), m => NymClientResponse.Decode(m));
    }

    [Theory]
    [InlineData("06")]
    [InlineData("0300")]
    [InlineData("04000000000000002a00")]
    [InlineData("05000000000000002a00")]
    [InlineData("02" + "0808080808080808080808080808080808" + "000000000000002a0000000000000006666f6f6d70")]
    [InlineData("02" + "0808080808080808080808080808080808" + "000000000000002a0000000000000004666f6f6d70")]
    public void RejectsMalformedRequests(string hex) => Assert.Throws<NymProtocolException>(() => NymClientRequest.Decode(Hex(hex)));

    [Fact]
    public void RejectsRequestWithOffCurveRecipient()
    {
        byte[] bytes = new NymClientRequest.Send(Address, Foomp, 0).ToArray();
        bytes.AsSpan(1, 32).Clear();
        bytes[1] = 2;
        Assert.Throws<NymProtocolException>(() => NymClientRequest.Decode(bytes));
    }

    [Theory]
    [InlineData("04")]
    [InlineData("0102000000000000000000")]
    [InlineData("01000000000000000005666f6f6d7000")]
    [InlineData("03000000000000000d000000000000002a00")]
    [InlineData("0005000000000000000d666f6f6d70206d657373616765")] // unknown error kind
    [InlineData("000300000000000000017f80")] // invalid UTF-8 would need length 2
    [InlineData("0003000000000000000180")] // invalid UTF-8
    public void RejectsMalformedResponses(string hex) => Assert.Throws<NymProtocolException>(() => NymClientResponse.Decode(Hex(hex)));
}
