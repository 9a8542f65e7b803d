using System.Net;

namespace Smolmix.Nym;

/// <summary>
/// A response from an IP packet router: <c>[version][data tag: 00 Data | 01 Control]…</c>
/// (no service-provider byte). Versions 8, 9 and 10 share the layout except that a v10
/// connect success ends with <c>mtu: u16</c>.
/// </summary>
/// <param name="Version">The protocol version byte.</param>
internal abstract record IprResponse(byte Version)
{
    private const byte DataTag = 0;
    private const byte ControlTag = 1;

    private protected const byte ConnectTag = 0;
    private protected const byte DisconnectTag = 1;
    private protected const byte UnrequestedDisconnectTag = 2;
    private protected const byte PongTag = 3;
    private protected const byte HealthTag = 4;
    private protected const byte InfoTag = 5;

    /// <summary>The request id this response answers, or null for data and unrequested disconnects.</summary>
    public virtual ulong? RequestId => null;

    /// <summary>The encoded length in bytes.</summary>
    public int GetEncodedLength()
    {
        var counter = BincodeWriter.CreateCounter();
        Write(ref counter);
        return counter.Position;
    }

    /// <summary>Encodes into <paramref name="destination"/>; returns the number of bytes written.</summary>
    public int Encode(Span<byte> destination)
    {
        if (destination.Length < GetEncodedLength())
        {
            throw new ArgumentException("Destination too small.", nameof(destination));
        }

        var writer = new BincodeWriter(destination);
        Write(ref writer);
        return writer.Position;
    }

    /// <summary>Encodes into a new array.</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[GetEncodedLength()];
        Encode(bytes);
        return bytes;
    }

    /// <summary>The length of the header <see cref="WriteDataHeader"/> writes before a bundle.</summary>
    public static int DataHeaderLength(int bundleLength) => 2 + BincodeWriter.VarintLength((ulong)bundleLength);

    /// <summary>Writes the header of a data response so the bundle can follow without a copy.</summary>
    public static int WriteDataHeader(Span<byte> destination, byte version, int bundleLength)
    {
        var writer = new BincodeWriter(destination);
        writer.WriteU8(version);
        writer.WriteEnumTag(DataTag);
        writer.WriteVarU64((ulong)bundleLength);
        return writer.Position;
    }

    /// <summary>
    /// Decodes a whole response of version 8, 9 or 10. The bundle of a data response is a slice
    /// of <paramref name="message"/>, not a copy.
    /// </summary>
    /// <param name="message">The whole IPR response.</param>
    /// <param name="tolerateV10WithoutMtu">
    /// Accept a v10 connect success that ends where the MTU should start (a v9-shaped body), as
    /// the later WASM client does; the result then has no MTU. Strict decoding rejects it.
    /// </param>
    /// <exception cref="NymProtocolException">The message is malformed, truncated, of an unknown version or has trailing bytes.</exception>
    public static IprResponse Decode(ReadOnlyMemory<byte> message, bool tolerateV10WithoutMtu = false)
    {
        var reader = new BincodeReader(message.Span);
        byte version = reader.ReadU8();
        if (!IprVersion.IsSupported(version))
        {
            throw new NymProtocolException($"Unsupported IPR response version {version}.");
        }

        IprResponse response = reader.ReadEnumTag() switch
        {
            DataTag => new IprDataResponse(version, message[reader.ReadBytesRange()]),
            ControlTag => ReadControl(ref reader, version, tolerateV10WithoutMtu),
            var tag => throw new NymProtocolException($"Unknown IPR response data tag {tag}."),
        };
        reader.EnsureEnd();
        return response;
    }

    /// <summary>Writes everything after the data tag's control marker.</summary>
    private protected abstract void WriteControl(ref BincodeWriter writer);

    /// <summary>Writes a control kind tag and request id.</summary>
    private protected static void WriteControlHeader(ref BincodeWriter writer, byte kind, ulong requestId)
    {
        writer.WriteEnumTag(kind);
        writer.WriteVarU64(requestId);
    }

    /// <summary>Writes a Rust <c>Other(String)</c> detail, or nothing for the other reasons.</summary>
    private protected static void WriteDetail(ref BincodeWriter writer, bool isOther, string? detail)
    {
        if (isOther)
        {
            writer.WriteString(detail ?? string.Empty);
        }
    }

    private static IprResponse ReadControl(ref BincodeReader reader, byte version, bool tolerateMissingMtu)
    {
        uint kind = reader.ReadEnumTag();
        switch (kind)
        {
            case ConnectTag:
            {
                ulong id = reader.ReadVarU64();
                switch (reader.ReadEnumTag())
                {
                    case 0:
                        IPAddress v4 = reader.ReadIpv4();
                        IPAddress v6 = reader.ReadIpv6();
                        ushort? mtu = IprVersion.HasMtu(version) && !(tolerateMissingMtu && reader.Remaining == 0) ? reader.ReadVarU16() : null;
                        return new IprConnectSuccess(version, id, v4, v6, mtu);
                    case 1:
                        var reason = (IprConnectFailureReason)ReadReason(ref reader, (uint)IprConnectFailureReason.Other);
                        string? detail = reason == IprConnectFailureReason.Other ? reader.ReadString() : null;
                        return new IprConnectFailure(version, id, reason, detail);
                    case var tag:
                        throw new NymProtocolException($"Unknown connect reply tag {tag}.");
                }
            }

            case DisconnectTag:
            {
                ulong id = reader.ReadVarU64();
                switch (reader.ReadEnumTag())
                {
                    case 0:
                        return new IprDisconnectResponse(version, id, null, null);
                    case 1:
                        var reason = (IprDisconnectFailureReason)ReadReason(ref reader, (uint)IprDisconnectFailureReason.Other);
                        string? detail = reason == IprDisconnectFailureReason.Other ? reader.ReadString() : null;
                        return new IprDisconnectResponse(version, id, reason, detail);
                    case var tag:
                        throw new NymProtocolException($"Unknown disconnect reply tag {tag}.");
                }
            }

            case UnrequestedDisconnectTag:
            {
                var reason = (IprUnrequestedDisconnectReason)ReadReason(ref reader, (uint)IprUnrequestedDisconnectReason.Other);
                string? detail = reason == IprUnrequestedDisconnectReason.Other ? reader.ReadString() : null;
                return new IprUnrequestedDisconnect(version, reason, detail);
            }

            case PongTag:
                return new IprPongResponse(version, reader.ReadVarU64());

            case HealthTag:
            {
                ulong id = reader.ReadVarU64();
                IprBuildInfo buildInfo = IprBuildInfo.Read(ref reader);
                bool? routable = reader.ReadOptionTag() ? reader.ReadBool() : null;
                return new IprHealthResponse(version, id, buildInfo, routable);
            }

            case InfoTag:
            {
                ulong id = reader.ReadVarU64();
                IprInfoReply reply = IprInfoReply.Read(ref reader);
                var level = (IprInfoLevel)ReadReason(ref reader, (uint)IprInfoLevel.Error);
                return new IprInfoResponse(version, id, reply, level);
            }

            default:
                throw new NymProtocolException($"Unknown IPR control response tag {kind}.");
        }
    }

    private static byte ReadReason(ref BincodeReader reader, uint max)
    {
        uint tag = reader.ReadEnumTag();
        return tag <= max ? (byte)tag : throw new NymProtocolException($"Unknown reason tag {tag}.");
    }

    private void Write(ref BincodeWriter writer)
    {
        writer.WriteU8(Version);
        if (this is IprDataResponse data)
        {
            writer.WriteEnumTag(DataTag);
            writer.WriteBytes(data.Bundle.Span);
        }
        else
        {
            writer.WriteEnumTag(ControlTag);
            WriteControl(ref writer);
        }
    }
}

/// <summary>Return traffic: a bundle of IP packets (see <see cref="PacketBundle"/>).</summary>
/// <param name="Version">The session's version byte.</param>
/// <param name="Bundle">The <c>[u16 length][packet]…</c> bundle.</param>
internal sealed record IprDataResponse(byte Version, ReadOnlyMemory<byte> Bundle) : IprResponse(Version)
{
    /// <summary>Compares version and bundle contents.</summary>
    public bool Equals(IprDataResponse? other)
        => other is not null && Version == other.Version && Bundle.Span.SequenceEqual(other.Bundle.Span);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Version, Bundle.Length);

    private protected override void WriteControl(ref BincodeWriter writer) => throw new InvalidOperationException();
}

/// <summary>The exit allocated addresses; v10 adds the exit's MTU.</summary>
/// <param name="Version">The version byte.</param>
/// <param name="Id">The connect request's id.</param>
/// <param name="Ipv4">The allocated IPv4 address (in 10.0.0.0/16).</param>
/// <param name="Ipv6">The allocated IPv6 address (in fc00::/112).</param>
/// <param name="Mtu">The exit's MTU; present exactly when <paramref name="Version"/> is 10 or later.</param>
internal sealed record IprConnectSuccess(byte Version, ulong Id, IPAddress Ipv4, IPAddress Ipv6, ushort? Mtu) : IprResponse(Version)
{
    /// <inheritdoc />
    public override ulong? RequestId => Id;

    private protected override void WriteControl(ref BincodeWriter writer)
    {
        WriteControlHeader(ref writer, ConnectTag, Id);
        writer.WriteEnumTag(0);
        writer.WriteIpv4(Ipv4);
        writer.WriteIpv6(Ipv6);
        if (IprVersion.HasMtu(Version))
        {
            writer.WriteVarU64(Mtu ?? throw new InvalidOperationException("A v10 connect success needs an MTU."));
        }
        else if (Mtu.HasValue)
        {
            throw new InvalidOperationException($"A v{Version} connect success has no MTU field.");
        }
    }
}

/// <summary>The exit refused the connect.</summary>
/// <param name="Version">The version byte.</param>
/// <param name="Id">The connect request's id.</param>
/// <param name="Reason">Why.</param>
/// <param name="Detail">The text of an <see cref="IprConnectFailureReason.Other"/> reason.</param>
internal sealed record IprConnectFailure(byte Version, ulong Id, IprConnectFailureReason Reason, string? Detail) : IprResponse(Version)
{
    /// <inheritdoc />
    public override ulong? RequestId => Id;

    private protected override void WriteControl(ref BincodeWriter writer)
    {
        WriteControlHeader(ref writer, ConnectTag, Id);
        writer.WriteEnumTag(1);
        writer.WriteEnumTag((uint)Reason);
        WriteDetail(ref writer, Reason == IprConnectFailureReason.Other, Detail);
    }
}

/// <summary>The answer to a disconnect request: success when <paramref name="Failure"/> is null.</summary>
/// <param name="Version">The version byte.</param>
/// <param name="Id">The disconnect request's id.</param>
/// <param name="Failure">Why the disconnect failed, or null on success.</param>
/// <param name="Detail">The text of an <see cref="IprDisconnectFailureReason.Other"/> reason.</param>
internal sealed record IprDisconnectResponse(byte Version, ulong Id, IprDisconnectFailureReason? Failure, string? Detail) : IprResponse(Version)
{
    /// <inheritdoc />
    public override ulong? RequestId => Id;

    private protected override void WriteControl(ref BincodeWriter writer)
    {
        WriteControlHeader(ref writer, DisconnectTag, Id);
        if (Failure is { } reason)
        {
            writer.WriteEnumTag(1);
            writer.WriteEnumTag((uint)reason);
            WriteDetail(ref writer, reason == IprDisconnectFailureReason.Other, Detail);
        }
        else
        {
            writer.WriteEnumTag(0);
        }
    }
}

/// <summary>The exit dropped the session on its own.</summary>
/// <param name="Version">The version byte.</param>
/// <param name="Reason">Why.</param>
/// <param name="Detail">The text of an <see cref="IprUnrequestedDisconnectReason.Other"/> reason.</param>
internal sealed record IprUnrequestedDisconnect(byte Version, IprUnrequestedDisconnectReason Reason, string? Detail) : IprResponse(Version)
{
    private protected override void WriteControl(ref BincodeWriter writer)
    {
        writer.WriteEnumTag(UnrequestedDisconnectTag);
        writer.WriteEnumTag((uint)Reason);
        WriteDetail(ref writer, Reason == IprUnrequestedDisconnectReason.Other, Detail);
    }
}

/// <summary>The answer to a ping.</summary>
/// <param name="Version">The version byte.</param>
/// <param name="Id">The ping request's id.</param>
internal sealed record IprPongResponse(byte Version, ulong Id) : IprResponse(Version)
{
    /// <inheritdoc />
    public override ulong? RequestId => Id;

    private protected override void WriteControl(ref BincodeWriter writer) => WriteControlHeader(ref writer, PongTag, Id);
}

/// <summary>The answer to a health request.</summary>
/// <param name="Version">The version byte.</param>
/// <param name="Id">The health request's id.</param>
/// <param name="BuildInfo">The exit's build information.</param>
/// <param name="Routable">Whether the exit believes it is routable (the exit sends null).</param>
internal sealed record IprHealthResponse(byte Version, ulong Id, IprBuildInfo BuildInfo, bool? Routable) : IprResponse(Version)
{
    /// <inheritdoc />
    public override ulong? RequestId => Id;

    private protected override void WriteControl(ref BincodeWriter writer)
    {
        WriteControlHeader(ref writer, HealthTag, Id);
        BuildInfo.Write(ref writer);
        writer.WriteOptionTag(Routable.HasValue);
        if (Routable is { } routable)
        {
            writer.WriteBool(routable);
        }
    }
}

/// <summary>An informational message; data-path infos (such as exit-policy denials) use id 0.</summary>
/// <param name="Version">The version byte.</param>
/// <param name="Id">The related request id, or 0.</param>
/// <param name="Reply">What happened.</param>
/// <param name="Level">Severity.</param>
internal sealed record IprInfoResponse(byte Version, ulong Id, IprInfoReply Reply, IprInfoLevel Level) : IprResponse(Version)
{
    /// <inheritdoc />
    public override ulong? RequestId => Id;

    private protected override void WriteControl(ref BincodeWriter writer)
    {
        WriteControlHeader(ref writer, InfoTag, Id);
        Reply.Write(ref writer);
        writer.WriteEnumTag((uint)Level);
    }
}
