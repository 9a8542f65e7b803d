namespace Smolmix.Devnet;

/// <summary>What the Devnet's resolver (at the default resolver addresses) has counted.</summary>
public sealed record DevnetDnsCounters
{
    /// <summary>Queries answered (every response sent, error responses included), over UDP and TCP.</summary>
    public long QueriesAnswered { get; init; }

    /// <summary>Of <see cref="QueriesAnswered"/>, the answers with NXDOMAIN.</summary>
    public long NameErrors { get; init; }

    /// <summary>Of <see cref="QueriesAnswered"/>, the FORMERR answers to malformed queries.</summary>
    public long FormatErrors { get; init; }

    /// <summary>UDP answers sent truncated (TC set) because they exceeded the payload size.</summary>
    public long TruncatedAnswers { get; init; }

    /// <summary>Inputs dropped without an answer: datagrams shorter than a header, responses, broken TCP framing, connections over the limit or idle too long.</summary>
    public long Dropped { get; init; }

    /// <summary>TCP connections accepted.</summary>
    public long TcpConnections { get; init; }
}
