namespace Smolmix.Nym;

/// <summary>The kind byte of a nym-client Error response.</summary>
internal enum NymClientErrorKind : byte
{
    /// <summary>The request was empty.</summary>
    EmptyRequest = 0x01,

    /// <summary>The request was too short.</summary>
    TooShortRequest = 0x02,

    /// <summary>The request tag was unknown.</summary>
    UnknownRequest = 0x03,

    /// <summary>The request was malformed.</summary>
    MalformedRequest = 0x04,

    /// <summary>The response was empty.</summary>
    EmptyResponse = 0x80,

    /// <summary>The response was too short.</summary>
    TooShortResponse = 0x81,

    /// <summary>The response tag was unknown.</summary>
    UnknownResponse = 0x82,

    /// <summary>The response was malformed.</summary>
    MalformedResponse = 0x83,

    /// <summary>Any other error.</summary>
    Other = 0xFF,
}
