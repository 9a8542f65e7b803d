using System.Text;
using Smolmix.Nym;

namespace Smolmix.Tests.Nym;

public class NymClientTextProtocolTests
{
    private static readonly NymAddress Address = NymAddress.Parse(Vectors.CytB);

    private static readonly byte[] Foomp = Encoding.UTF8.GetBytes("foomp");

    [Fact]
    public void RequestsUseTheDocumentedShapes()
    {
        Assert.Equal($"{{\"type\":\"send\",\"message\":\"foomp\",\"recipient\":\"{Vectors.CytB}\",\"connectionId\":42}}",
            NymClientTextProtocol.EncodeRequest(new NymClientRequest.Send(Address, Foomp, 42)));
        Assert.Equal($"{{\"type\":\"sendAnonymous\",\"recipient\":\"{Vectors.CytB}\",\"message\":\"foomp\",\"replySurbs\":666,\"connectionId\":null}}",
            NymClientTextProtocol.EncodeRequest(new NymClientRequest.SendAnonymous(Address, Foomp, 666, 0)));
        Assert.Equal("{\"type\":\"reply\",\"senderTag\":\"zXExeyvPEHUk9rjXTu78T\",\"message\":\"foomp\",\"connectionId\":null}",
            NymClientTextProtocol.EncodeRequest(new NymClientRequest.Reply(SenderTag.FromBytes(Enumerable.Repeat((byte)8, 16).ToArray()), Foomp, 0)));
        Assert.Equal("{\"type\":\"selfAddress\"}", NymClientTextProtocol.EncodeRequest(new NymClientRequest.SelfAddress()));
        Assert.Throws<NotSupportedException>(() => NymClientTextProtocol.EncodeRequest(new NymClientRequest.GetLaneQueueLength(1)));
        Assert.Throws<ArgumentException>(() => NymClientTextProtocol.EncodeRequest(new NymClientRequest.Send(Address, new byte[] { 0xFF }, 0)));
    }

    [Fact]
    public void RequestsRoundTrip()
    {
        NymClientRequest[] requests =
        [
            new NymClientRequest.Send(Address, Foomp, 42),
            new NymClientRequest.SendAnonymous(Address, Foomp, 666, 0),
            new NymClientRequest.Reply(SenderTag.FromBytes(Enumerable.Repeat((byte)42, 16).ToArray()), Foomp, 7),
            new NymClientRequest.SelfAddress(),
        ];
        foreach (NymClientRequest request in requests)
        {
            Assert.Equal(request, NymClientTextProtocol.DecodeRequest(NymClientTextProtocol.EncodeRequest(request)));
        }

        Assert.Equal(new NymClientRequest.Send(Address, Foomp, 0), NymClientTextProtocol.DecodeRequest($"{{\"type\":\"send\",\"message\":\"foomp\",\"recipient\":\"{Vectors.CytB}\"}}"));
    }

    [Fact]
    public void ResponsesDecode()
    {
        Assert.Equal(new NymClientResponse.Received(null, Foomp), NymClientTextProtocol.DecodeResponse("{\"type\":\"received\",\"message\":\"foomp\",\"senderTag\":null}"));
        Assert.Equal(new NymClientResponse.Received(SenderTag.FromBytes(Enumerable.Repeat((byte)42, 16).ToArray()), Foomp),
            NymClientTextProtocol.DecodeResponse("{\"type\":\"received\",\"message\":\"foomp\",\"senderTag\":\"6CzGHguLGCk1f416kwDZB7\"}"));
        Assert.Equal(new NymClientResponse.SelfAddress(Address), NymClientTextProtocol.DecodeResponse($"{{\"type\":\"selfAddress\",\"address\":\"{Vectors.CytB}\"}}"));
        Assert.Equal(new NymClientResponse.LaneQueueLength(13, 42), NymClientTextProtocol.DecodeResponse("{\"type\":\"laneQueueLength\",\"lane\":13,\"queue_length\":42}"));
        Assert.Equal(new NymClientResponse.Error(NymClientErrorKind.Other, "x:foomp message"), NymClientTextProtocol.DecodeResponse("{\"type\":\"error\",\"message\":\"x:foomp message\"}"));
    }

    [Fact]
    public void ResponsesRoundTrip()
    {
        NymClientResponse[] responses =
        [
            new NymClientResponse.Received(null, Foomp),
            new NymClientResponse.Received(SenderTag.FromBytes(Enumerable.Repeat((byte)42, 16).ToArray()), Foomp),
            new NymClientResponse.SelfAddress(Address),
            new NymClientResponse.LaneQueueLength(13, 42),
        ];
        foreach (NymClientResponse response in responses)
        {
            Assert.Equal(response, NymClientTextProtocol.DecodeResponse(NymClientTextProtocol.EncodeResponse(response)));
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("{")]
    [InlineData("{\"type\":\"nope\"}")]
    [InlineData("{\"type\":\"received\"}")]
    [InlineData("{\"type\":\"received\",\"message\":1}")]
    [InlineData("{\"type\":\"received\",\"message\":\"x\",\"senderTag\":\"0OIl\"}")]
    [InlineData("{\"type\":\"selfAddress\",\"address\":\"nope\"}")]
    [InlineData("{\"type\":\"laneQueueLength\",\"lane\":-1,\"queue_length\":1}")]
    public void MalformedJsonIsRejected(string json)
    {
        Assert.Throws<NymProtocolException>(() => NymClientTextProtocol.DecodeResponse(json));
    }
}
