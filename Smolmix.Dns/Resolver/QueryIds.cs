using System.Security.Cryptography;
using Smolmix.Dns.Wire;

namespace Smolmix.Dns.Resolver;

/// <summary>Unpredictable query IDs and source ports (RFC 5452), and the strict test of whether a response answers a query.</summary>
internal static class QueryIds
{
    private const int EphemeralLow = 49152;

    public static ushort NextId() => (ushort)RandomNumberGenerator.GetInt32(0, 65536);

    public static int NextPort() => RandomNumberGenerator.GetInt32(EphemeralLow, 65536);

    /// <summary>True when <paramref name="response"/> is a response to a standard query with <paramref name="id"/> for exactly <paramref name="question"/>.</summary>
    public static bool Answers(DnsMessage response, ushort id, DnsQuestion question) =>
        response.IsResponse && response.Id == id && response.Opcode == 0 && response.Questions.Count == 1 && response.Questions[0].Matches(question);
}
