using System.Buffers.Binary;
using System.Net.Sockets;

namespace Smolmix.Tests.Interop;

/// <summary>A few fields of Linux's <c>struct tcp_info</c> (getsockopt TCP_INFO) of a kernel socket.</summary>
internal readonly record struct KernelTcpInfo(
    int State, uint SndMss, uint RcvMss, uint Unacked, uint Lost, uint RttUs, uint RttVarUs, uint Cwnd, uint Reordering,
    uint TotalRetrans, ulong BytesAcked, ulong BytesReceived, uint MinRttUs, ulong BytesRetrans, uint DsackDups, uint ReordSeen, uint RcvOooPack,
    ulong BusyUs, ulong RwndLimitedUs, ulong SndbufLimitedUs, uint SndWnd, ulong DeliveryRate)
{
    private const int SolTcp = 6;
    private const int TcpInfoOption = 11;
    private const int TcpMaxSeg = 2;
    private const int TcpCongestion = 13;

    public static KernelTcpInfo Get(Socket s)
    {
        var b = new byte[256];
        int n = s.GetRawSocketOption(SolTcp, TcpInfoOption, b);
        uint U32(int off) => off + 4 <= n ? BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(off)) : 0;
        ulong U64(int off) => off + 8 <= n ? BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(off)) : 0;
        return new KernelTcpInfo(
            b[0], U32(16), U32(20), U32(24), U32(32), U32(68), U32(72), U32(80), U32(88),
            U32(100), U64(120), U64(128), U32(148), U64(208), U32(216), U32(220), U32(224),
            U64(168), U64(176), U64(184), U32(228), U64(160));
    }

    /// <summary>getsockopt TCP_MAXSEG: the kernel's current send MSS for the connection.</summary>
    public static int MaxSeg(Socket s)
    {
        var b = new byte[4];
        s.GetRawSocketOption(SolTcp, TcpMaxSeg, b);
        return BinaryPrimitives.ReadInt32LittleEndian(b);
    }

    /// <summary>getsockopt TCP_CONGESTION: the congestion control of the socket.</summary>
    public static string Congestion(Socket s)
    {
        var b = new byte[16];
        int n = s.GetRawSocketOption(SolTcp, TcpCongestion, b);
        return System.Text.Encoding.ASCII.GetString(b, 0, n).TrimEnd('\0');
    }

    public override string ToString() =>
        $"mss={SndMss}/{RcvMss} rtt={RttUs / 1000.0:0.0}ms±{RttVarUs / 1000.0:0.0} minrtt={MinRttUs / 1000.0:0.0}ms cwnd={Cwnd} reordering={Reordering} " +
        $"total_retrans={TotalRetrans} bytes_retrans={BytesRetrans} dsack_dups={DsackDups} reord_seen={ReordSeen} rcv_ooopack={RcvOooPack} lost={Lost} unacked={Unacked} " +
        $"busy={BusyUs / 1e6:0.0}s rwnd_limited={RwndLimitedUs / 1e6:0.0}s sndbuf_limited={SndbufLimitedUs / 1e6:0.0}s snd_wnd={SndWnd} delivery_rate={DeliveryRate}B/s";
}

/// <summary>The namespace's TcpExt counters (/proc/net/netstat), e.g. PAWSEstab.</summary>
internal static class KernelNetstat
{
    public static Dictionary<string, long> Read(KernelRig rig)
    {
        var (code, text) = rig.NsExec("cat", "/proc/net/netstat", TimeSpan.FromSeconds(10));
        var result = new Dictionary<string, long>();
        if (code != 0)
        {
            return result;
        }

        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i + 1 < lines.Length; i += 2)
        {
            var names = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var values = lines[i + 1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            for (int j = 1; j < Math.Min(names.Length, values.Length); j++)
            {
                if (long.TryParse(values[j], out long v))
                {
                    result[names[0].TrimEnd(':') + "." + names[j]] = v;
                }
            }
        }

        return result;
    }

    public static string Summary(Dictionary<string, long> c, params string[] keys) =>
        string.Join(" ", keys.Select(k => $"{k}={c.GetValueOrDefault("TcpExt." + k)}"));
}
