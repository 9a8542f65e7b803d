using System.Net;
using System.Net.Sockets;
using Smolmix.Dns.Wire;

namespace Smolmix.Dns;

/// <summary>An A record: an IPv4 address.</summary>
public sealed class ARecord : DnsRecord
{
    /// <summary>Creates an A record.</summary>
    /// <param name="name">The owner name.</param>
    /// <param name="timeToLive">The TTL.</param>
    /// <param name="address">An IPv4 address.</param>
    public ARecord(string name, TimeSpan timeToLive, IPAddress address)
        : base(name, DnsRecordType.A, timeToLive)
    {
        ArgumentNullException.ThrowIfNull(address);
        Address = address.AddressFamily == AddressFamily.InterNetwork ? address : throw new ArgumentException("An A record holds an IPv4 address.", nameof(address));
    }

    /// <summary>The address.</summary>
    public IPAddress Address { get; }

    internal override DnsRecord WithTimeToLive(TimeSpan timeToLive) => new ARecord(Name, timeToLive, Address);

    internal override void WriteData(DnsWriter writer) => writer.WriteBytes(Address.GetAddressBytes());

    /// <inheritdoc />
    protected override string DataText() => Address.ToString();
}

/// <summary>An AAAA record: an IPv6 address.</summary>
public sealed class AaaaRecord : DnsRecord
{
    /// <summary>Creates an AAAA record.</summary>
    /// <param name="name">The owner name.</param>
    /// <param name="timeToLive">The TTL.</param>
    /// <param name="address">An IPv6 address.</param>
    public AaaaRecord(string name, TimeSpan timeToLive, IPAddress address)
        : base(name, DnsRecordType.AAAA, timeToLive)
    {
        ArgumentNullException.ThrowIfNull(address);
        Address = address.AddressFamily == AddressFamily.InterNetworkV6 ? address : throw new ArgumentException("An AAAA record holds an IPv6 address.", nameof(address));
    }

    /// <summary>The address.</summary>
    public IPAddress Address { get; }

    internal override DnsRecord WithTimeToLive(TimeSpan timeToLive) => new AaaaRecord(Name, timeToLive, Address);

    internal override void WriteData(DnsWriter writer) => writer.WriteBytes(Address.GetAddressBytes());

    /// <inheritdoc />
    protected override string DataText() => Address.ToString();
}
