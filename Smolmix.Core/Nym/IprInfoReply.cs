namespace Smolmix.Nym;

/// <summary>The body of an IPR info response (<c>InfoResponseReply</c>).</summary>
internal abstract record IprInfoReply
{
    private const byte GenericTag = 0;
    private const byte VersionMismatchTag = 1;
    private const byte ExitPolicyTag = 2;

    /// <summary>Reads an info reply.</summary>
    internal static IprInfoReply Read(ref BincodeReader reader) => reader.ReadEnumTag() switch
    {
        GenericTag => new IprInfoGeneric(reader.ReadString()),
        VersionMismatchTag => new IprInfoVersionMismatch(reader.ReadU8(), reader.ReadU8()),
        ExitPolicyTag => new IprInfoExitPolicyFilterCheckFailed(reader.ReadString()),
        var tag => throw new NymProtocolException($"Unknown IPR info reply tag {tag}."),
    };

    /// <summary>Writes this info reply.</summary>
    internal void Write(ref BincodeWriter writer)
    {
        switch (this)
        {
            case IprInfoGeneric generic:
                writer.WriteEnumTag(GenericTag);
                writer.WriteString(generic.Message);
                break;
            case IprInfoVersionMismatch mismatch:
                writer.WriteEnumTag(VersionMismatchTag);
                writer.WriteU8(mismatch.RequestVersion);
                writer.WriteU8(mismatch.ResponseVersion);
                break;
            case IprInfoExitPolicyFilterCheckFailed denied:
                writer.WriteEnumTag(ExitPolicyTag);
                writer.WriteString(denied.Destination);
                break;
            default:
                throw new InvalidOperationException($"Unknown info reply {GetType().Name}.");
        }
    }
}

/// <summary>A free-form message.</summary>
/// <param name="Message">The text.</param>
internal sealed record IprInfoGeneric(string Message) : IprInfoReply;

/// <summary>The exit does not speak the request's version.</summary>
/// <param name="RequestVersion">The version the client used.</param>
/// <param name="ResponseVersion">The version the exit answered with.</param>
internal sealed record IprInfoVersionMismatch(byte RequestVersion, byte ResponseVersion) : IprInfoReply;

/// <summary>A packet was dropped by the exit policy.</summary>
/// <param name="Destination">The denied destination, such as <c>1.2.3.4:25</c>.</param>
internal sealed record IprInfoExitPolicyFilterCheckFailed(string Destination) : IprInfoReply;
