using System.Net;

namespace Smolmix.Devnet;

/// <summary>
/// A name the Devnet's resolver answers (from <see cref="DevnetOptions.Hosts"/>): the "public"
/// addresses it gives out and the service on the host that connections to them reach.
/// </summary>
/// <param name="Name">The name, lower case, as answered.</param>
/// <param name="IPv4">The IPv4 address of the A answer (from 198.18.0.0/15, the benchmarking range).</param>
/// <param name="IPv6">The IPv6 address of the AAAA answer (from 2001:2::/48, the benchmarking range).</param>
/// <param name="Target">The host service; connections and datagrams to either address at its port go there.</param>
public sealed record DevnetHostMapping(string Name, IPAddress IPv4, IPAddress IPv6, IPEndPoint Target)
{
    /// <summary>The mapping in the form the CLI prints, e.g. <c>demo.test=198.18.0.1,2001:2::1 -> 127.0.0.1:8443</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"{Name}={IPv4},{IPv6} -> {Target}";
}
