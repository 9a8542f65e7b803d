namespace Smolmix.Nym;

/// <summary>The exit refused a connect request.</summary>
internal sealed class IprConnectException : Exception
{
    /// <summary>Creates the exception for a refusal.</summary>
    public IprConnectException(IprConnectFailureReason reason, string? detail)
        : base($"The IP packet router refused the connection: {reason}{(detail is null ? string.Empty : $" ({detail})")}.")
    {
        Reason = reason;
        Detail = detail;
    }

    /// <summary>Why the exit refused.</summary>
    public IprConnectFailureReason Reason { get; }

    /// <summary>The exit's text for an <see cref="IprConnectFailureReason.Other"/> reason.</summary>
    public string? Detail { get; }
}

/// <summary>The exit answered a connect with a version mismatch, and no offered version was accepted.</summary>
internal sealed class IprVersionMismatchException : Exception
{
    /// <summary>Creates the exception for the last mismatch the exit reported.</summary>
    public IprVersionMismatchException(byte requested, byte exitVersion, IReadOnlyList<byte> offered)
        : base($"The IP packet router speaks protocol v{exitVersion}; it refused v{requested} and answered none of v{string.Join(", v", offered)}.")
    {
        Requested = requested;
        ExitVersion = exitVersion;
    }

    /// <summary>The version the exit refused.</summary>
    public byte Requested { get; }

    /// <summary>The version the exit says it speaks.</summary>
    public byte ExitVersion { get; }
}
