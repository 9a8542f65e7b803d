namespace Smolmix.Nym;

/// <summary>
/// Thrown when bytes received from nym-client or from an IP packet router exit are malformed,
/// truncated, or otherwise violate the Nym wire protocol.
/// </summary>
internal sealed class NymProtocolException : Exception
{
    /// <summary>Creates an exception with a default message.</summary>
    public NymProtocolException()
        : base("Malformed Nym protocol message.")
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    /// <param name="message">What was wrong with the input.</param>
    public NymProtocolException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    /// <param name="message">What was wrong with the input.</param>
    /// <param name="innerException">The underlying failure.</param>
    public NymProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
