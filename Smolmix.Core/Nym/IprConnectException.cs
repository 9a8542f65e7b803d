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
