using System.Net;

namespace Smolmix.Devnet.Egress;

/// <summary>
/// Decides where a host socket connects for a destination a client used: the destination itself,
/// or what <see cref="DevnetOptions.AddressMap"/> maps it to; and whether that target may be used
/// (loopback only unless non-loopback egress is allowed).
/// </summary>
internal sealed class EgressTargetMap
{
    private readonly Dictionary<IPEndPoint, IPEndPoint> _map;
    private readonly bool _allowNonLoopback;

    public EgressTargetMap(IEnumerable<KeyValuePair<IPEndPoint, IPEndPoint>> map, bool allowNonLoopback)
    {
        _map = map.ToDictionary(p => Normalize(p.Key), p => Normalize(p.Value));
        _allowNonLoopback = allowNonLoopback;
    }

    /// <summary>The host endpoint for <paramref name="destination"/>, or null when it may not be reached.</summary>
    public IPEndPoint? Resolve(IPEndPoint destination)
    {
        destination = Normalize(destination);
        IPEndPoint target = destination;
        if (_map.TryGetValue(destination, out IPEndPoint? exact))
        {
            target = exact;
        }
        else if (_map.TryGetValue(new IPEndPoint(destination.Address, 0), out IPEndPoint? whole))
        {
            target = new IPEndPoint(whole.Address, whole.Port == 0 ? destination.Port : whole.Port);
        }

        return _allowNonLoopback || IPAddress.IsLoopback(target.Address) ? target : null;
    }

    private static IPEndPoint Normalize(IPEndPoint endpoint)
        => endpoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endpoint.Address.MapToIPv4(), endpoint.Port) : endpoint;
}
