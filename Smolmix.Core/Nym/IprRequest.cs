namespace Smolmix.Nym;

/// <summary>
/// A request to an IP packet router, v8/v9/v10 layout:
/// <c>[version][0x01 IpPacketRouter][data tag: 00 Data | 01 Control]…</c>, bincode-encoded.
/// </summary>
/// <param name="Version">The protocol version byte.</param>
internal abstract record IprRequest(byte Version)
{
    /// <summary>The ServiceProviderType tag of an IP packet router.</summary>
    public const byte IpPacketRouterType = 1;

    private const byte DataTag = 0;
    private const byte ControlTag = 1;
    private protected const byte ConnectTag = 0;
    private protected const byte DisconnectTag = 1;
    private protected const byte PingTag = 2;
    private protected const byte HealthTag = 3;

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
    public static int DataHeaderLength(int bundleLength) => 3 + BincodeWriter.VarintLength((ulong)bundleLength);

    /// <summary>
    /// Writes the header of a data request (version, type, data tag, bundle length) so the
    /// bundle can be placed right after it without copying; returns the header length.
    /// </summary>
    public static int WriteDataHeader(Span<byte> destination, byte version, int bundleLength)
    {
        var writer = new BincodeWriter(destination);
        writer.WriteU8(version);
        writer.WriteU8(IpPacketRouterType);
        writer.WriteEnumTag(DataTag);
        writer.WriteVarU64((ulong)bundleLength);
        return writer.Position;
    }

    /// <summary>
    /// Decodes a whole request. Versions other than 8, 9 and 10 are rejected unless
    /// <paramref name="acceptAnyVersion"/> is set (Nym's own tests use version 4 with this layout).
    /// </summary>
    /// <exception cref="NymProtocolException">The message is malformed, truncated or has trailing bytes.</exception>
    public static IprRequest Decode(ReadOnlyMemory<byte> message, bool acceptAnyVersion = false)
    {
        var reader = new BincodeReader(message.Span);
        byte version = reader.ReadU8();
        if (!acceptAnyVersion && !IprVersion.IsSupported(version))
        {
            throw new NymProtocolException($"Unsupported IPR request version {version}.");
        }

        byte type = reader.ReadU8();
        if (type != IpPacketRouterType)
        {
            throw new NymProtocolException($"Service provider type {type} is not IpPacketRouter.");
        }

        IprRequest request;
        switch (reader.ReadEnumTag())
        {
            case DataTag:
                request = new IprDataRequest(version, message[reader.ReadBytesRange()]);
                break;
            case ControlTag:
                uint kind = reader.ReadEnumTag();
                ulong requestId = reader.ReadVarU64();
                request = kind switch
                {
                    ConnectTag => ReadConnect(ref reader, version, requestId),
                    DisconnectTag => new IprDisconnectRequest(version, requestId, reader.ReadTimestamp()),
                    PingTag => new IprPingRequest(version, requestId, reader.ReadTimestamp()),
                    HealthTag => new IprHealthRequest(version, requestId, reader.ReadTimestamp()),
                    _ => throw new NymProtocolException($"Unknown IPR control request tag {kind}."),
                };
                break;
            case var tag:
                throw new NymProtocolException($"Unknown IPR request data tag {tag}.");
        }

        reader.EnsureEnd();
        return request;
    }

    /// <summary>Writes the body after the two-byte protocol header.</summary>
    private protected abstract void WriteBody(ref BincodeWriter writer);

    /// <summary>Writes the control-request tag and request id.</summary>
    private protected static void WriteControlHeader(ref BincodeWriter writer, byte kind, ulong requestId)
    {
        writer.WriteEnumTag(ControlTag);
        writer.WriteEnumTag(kind);
        writer.WriteVarU64(requestId);
    }

    private protected static void WriteDataBody(ref BincodeWriter writer, ReadOnlySpan<byte> bundle)
    {
        writer.WriteEnumTag(DataTag);
        writer.WriteBytes(bundle);
    }

    private static IprConnectRequest ReadConnect(ref BincodeReader reader, byte version, ulong requestId)
    {
        ulong? bufferTimeout = reader.ReadOptionVarU64();
        return new IprConnectRequest(version, requestId, bufferTimeout, reader.ReadTimestamp());
    }

    private void Write(ref BincodeWriter writer)
    {
        writer.WriteU8(Version);
        writer.WriteU8(IpPacketRouterType);
        WriteBody(ref writer);
    }
}

/// <summary>Carries a bundle of IP packets (see <see cref="PacketBundle"/>) to the exit.</summary>
/// <param name="Version">The protocol version byte.</param>
/// <param name="Bundle">The <c>[u16 length][packet]…</c> bundle.</param>
internal sealed record IprDataRequest(byte Version, ReadOnlyMemory<byte> Bundle) : IprRequest(Version)
{
    /// <summary>Compares version and bundle contents.</summary>
    public bool Equals(IprDataRequest? other)
        => other is not null && Version == other.Version && Bundle.Span.SequenceEqual(other.Bundle.Span);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Version, Bundle.Length);

    private protected override void WriteBody(ref BincodeWriter writer) => WriteDataBody(ref writer, Bundle.Span);
}

/// <summary>Asks the exit to allocate IPv4/IPv6 addresses for this sender tag.</summary>
/// <param name="Version">The protocol version byte.</param>
/// <param name="RequestId">Random id echoed by the reply.</param>
/// <param name="BufferTimeoutMs">How long the exit may wait while filling a return bundle; null means 20 ms.</param>
/// <param name="Timestamp">The client's current UTC time.</param>
internal sealed record IprConnectRequest(byte Version, ulong RequestId, ulong? BufferTimeoutMs, NymTimestamp Timestamp) : IprRequest(Version)
{
    private protected override void WriteBody(ref BincodeWriter writer)
    {
        WriteControlHeader(ref writer, ConnectTag, RequestId);
        writer.WriteOptionVarU64(BufferTimeoutMs);
        writer.WriteTimestamp(Timestamp);
    }
}

/// <summary>Releases this sender tag's allocation.</summary>
/// <param name="Version">The protocol version byte.</param>
/// <param name="RequestId">Random id echoed by the reply.</param>
/// <param name="Timestamp">The client's current UTC time.</param>
internal sealed record IprDisconnectRequest(byte Version, ulong RequestId, NymTimestamp Timestamp) : IprRequest(Version)
{
    private protected override void WriteBody(ref BincodeWriter writer)
    {
        WriteControlHeader(ref writer, DisconnectTag, RequestId);
        writer.WriteTimestamp(Timestamp);
    }
}

/// <summary>Asks for a Pong (does not refresh the exit's inactivity timer).</summary>
/// <param name="Version">The protocol version byte.</param>
/// <param name="RequestId">Random id echoed by the reply.</param>
/// <param name="Timestamp">The client's current UTC time.</param>
internal sealed record IprPingRequest(byte Version, ulong RequestId, NymTimestamp Timestamp) : IprRequest(Version)
{
    private protected override void WriteBody(ref BincodeWriter writer)
    {
        WriteControlHeader(ref writer, PingTag, RequestId);
        writer.WriteTimestamp(Timestamp);
    }
}

/// <summary>Asks for the exit's build information.</summary>
/// <param name="Version">The protocol version byte.</param>
/// <param name="RequestId">Random id echoed by the reply.</param>
/// <param name="Timestamp">The client's current UTC time.</param>
internal sealed record IprHealthRequest(byte Version, ulong RequestId, NymTimestamp Timestamp) : IprRequest(Version)
{
    private protected override void WriteBody(ref BincodeWriter writer)
    {
        WriteControlHeader(ref writer, HealthTag, RequestId);
        writer.WriteTimestamp(Timestamp);
    }
}
