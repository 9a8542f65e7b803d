using System.Globalization;
using Smolmix.Http;

namespace Smolmix.Cli;

/// <summary>Where the time of a `smolmix get` went: tunnel up, DNS, TCP, TLS, first byte, body.</summary>
internal sealed class TimeSplit
{
    public TimeSpan TunnelUp { get; set; }

    public TimeSpan Dns { get; private set; }

    public TimeSpan Tcp { get; private set; }

    public TimeSpan Tls { get; private set; }

    /// <summary>From the request to the response headers, less the connection's DNS, TCP and TLS.</summary>
    public TimeSpan FirstByte
    {
        get;
        set => field = value < TimeSpan.Zero ? TimeSpan.Zero : value;
    }

    public TimeSpan Body { get; set; }

    public TimeSpan Total => TunnelUp + Dns + Tcp + Tls + FirstByte + Body;

    public long Bytes { get; set; }

    public string? Sha256 { get; set; }

    public int Connections { get; private set; }

    public string? Remote { get; private set; }

    /// <summary>Adds up the connections opened for the request (one, unless it was redirected elsewhere).</summary>
    public void SetConnections(IReadOnlyList<SmolmixConnectionInfo> connections)
    {
        Dns = Sum(connections, c => c.NameResolution);
        Tcp = Sum(connections, c => c.TcpConnect);
        Tls = Sum(connections, c => c.TlsHandshake);
        Connections = connections.Count;
        Remote = connections.Count > 0 ? connections[^1].RemoteEndPoint.ToString() : null;
    }

    public void Write(TextWriter writer, string status)
    {
        double rate = Bytes / Math.Max(Body.TotalSeconds, 0.001);
        string connection = Connections switch
        {
            0 => " (a pooled connection)",
            1 => $" ({Remote})",
            _ => $" ({Connections} connections, {Remote} last)",
        };
        writer.WriteLine("time split:");
        writer.WriteLine($"  tunnel up   {Seconds(TunnelUp),9}");
        writer.WriteLine($"  DNS         {Seconds(Dns),9}");
        writer.WriteLine($"  TCP         {Seconds(Tcp),9}{connection}");
        writer.WriteLine($"  TLS         {Seconds(Tls),9}{(Tls == TimeSpan.Zero ? " (plain http)" : string.Empty)}");
        writer.WriteLine($"  first byte  {Seconds(FirstByte),9}");
        writer.WriteLine($"  body        {Seconds(Body),9}");
        writer.WriteLine($"  total       {Seconds(Total),9}");
        writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bytes: {Bytes:N0} ({ProgressDisplay.Size(Bytes)}) at {ProgressDisplay.Size(rate)}/s"));
        writer.WriteLine($"status: {status}");
        writer.WriteLine($"sha256: {Sha256}");
    }

    public static string Seconds(TimeSpan t) => string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds:0.000} s");

    private static TimeSpan Sum(IReadOnlyList<SmolmixConnectionInfo> connections, Func<SmolmixConnectionInfo, TimeSpan> step)
    {
        TimeSpan sum = TimeSpan.Zero;
        foreach (SmolmixConnectionInfo c in connections)
        {
            sum += step(c);
        }

        return sum;
    }
}
