using System.Globalization;

namespace Smolmix.Http.Tests.Support;

/// <summary>One line of <see cref="NginxServer"/>'s access log.</summary>
/// <param name="Connection">nginx's serial number of the client connection.</param>
/// <param name="ConnectionRequests">How many requests that connection had carried, this one included.</param>
/// <param name="Protocol">HTTP/1.1 or HTTP/2.0.</param>
/// <param name="Status">The status code.</param>
/// <param name="BodyBytesSent">Body bytes nginx sent.</param>
/// <param name="Uri">The request URI.</param>
internal sealed record NginxAccess(long Connection, int ConnectionRequests, string Protocol, int Status, long BodyBytesSent, string Uri)
{
    public static NginxAccess Parse(string line)
    {
        string[] f = line.Split(' ');
        return new NginxAccess(
            long.Parse(f[0], CultureInfo.InvariantCulture),
            int.Parse(f[1], CultureInfo.InvariantCulture),
            f[2],
            int.Parse(f[3], CultureInfo.InvariantCulture),
            long.Parse(f[4], CultureInfo.InvariantCulture),
            f[5]);
    }
}
