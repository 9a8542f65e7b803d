namespace Smolmix.Nym;

/// <summary>The exit's build information, carried by a health response (ten strings, in wire order).</summary>
/// <param name="BinaryName">Binary name.</param>
/// <param name="BuildTimestamp">Build timestamp.</param>
/// <param name="BuildVersion">Build version, e.g. <c>1.30.0</c>.</param>
/// <param name="CommitSha">Commit hash.</param>
/// <param name="CommitTimestamp">Commit timestamp.</param>
/// <param name="CommitBranch">Commit branch.</param>
/// <param name="RustcVersion">Compiler version.</param>
/// <param name="RustcChannel">Compiler channel.</param>
/// <param name="CargoProfile">Cargo profile.</param>
/// <param name="CargoTriple">Target triple.</param>
internal sealed record IprBuildInfo(
    string BinaryName,
    string BuildTimestamp,
    string BuildVersion,
    string CommitSha,
    string CommitTimestamp,
    string CommitBranch,
    string RustcVersion,
    string RustcChannel,
    string CargoProfile,
    string CargoTriple)
{
    /// <summary>Reads the ten strings.</summary>
    internal static IprBuildInfo Read(ref BincodeReader reader) => new(
        reader.ReadString(),
        reader.ReadString(),
        reader.ReadString(),
        reader.ReadString(),
        reader.ReadString(),
        reader.ReadString(),
        reader.ReadString(),
        reader.ReadString(),
        reader.ReadString(),
        reader.ReadString());

    /// <summary>Writes the ten strings.</summary>
    internal void Write(ref BincodeWriter writer)
    {
        writer.WriteString(BinaryName);
        writer.WriteString(BuildTimestamp);
        writer.WriteString(BuildVersion);
        writer.WriteString(CommitSha);
        writer.WriteString(CommitTimestamp);
        writer.WriteString(CommitBranch);
        writer.WriteString(RustcVersion);
        writer.WriteString(RustcChannel);
        writer.WriteString(CargoProfile);
        writer.WriteString(CargoTriple);
    }
}
