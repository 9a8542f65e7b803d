using Xunit.Abstractions;

namespace Smolmix.Tests.Interop;

/// <summary>Checks a capture with tshark: nothing malformed, no checksum errors, every TCP packet dissected.</summary>
internal static class PcapCheck
{
    // Thrift's heuristic dissector sometimes claims a segment of random test payload and reports it as an
    // error; the payload is not a protocol, so it is not dissected as one.
    private const string Checksums = "-o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE --disable-protocol thrift";

    public static void AssertClean(string pcap, ITestOutputHelper log)
    {
        var timeout = TimeSpan.FromMinutes(2);
        var (code, bad, err) = Tools.Run("tshark", $"-n -r {pcap} {Checksums} -Y \"_ws.malformed || _ws.expert.severity == error\"", timeout);
        // One expert "error" is legal TCP from the kernel side and is not counted: a retransmission whose
        // bytes overlap earlier segments with other boundaries ("New fragment overlaps old data"; RFC 9293
        // lets a sender re-segment). Linux does that when our receive window, limited on long paths by
        // the receive-window governor, cut an earlier segment short. Our own packets get no exemption.
        var badLines = bad.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => !((line.Contains($"{KernelRig.KernelV4} → ", StringComparison.Ordinal) || line.Contains($"{KernelRig.KernelV4} -> ", StringComparison.Ordinal))
                && line.Contains("overlaps old data", StringComparison.Ordinal)))
            .ToArray();

        (code, string tcpFrames, err) = Tools.Run("tshark", $"-n -r {pcap} {Checksums} -Y tcp -T fields -e frame.number", timeout);
        Assert.True(code == 0, $"tshark failed ({code}): {err}");
        int tsharkTcp = tcpFrames.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
        int ourTcp = CapturedTcp.Read(pcap).Count;

        (code, string analysis, _) = Tools.Run("tshark", $"-n -r {pcap} -q -z expert,note", timeout);
        log.WriteLine($"tshark: {badLines.Length} malformed/error packets; {tsharkTcp} TCP packets dissected, {ourTcp} in the file");
        log.WriteLine("tshark expert notes: " + SummarizeExpert(analysis));
        Assert.True(badLines.Length == 0, "tshark flagged packets:\n" + string.Join("\n", badLines.Take(20)));
        Assert.True(ourTcp > 0, "no TCP packets in the capture");
        Assert.Equal(ourTcp, tsharkTcp);
    }

    /// <summary>Folds "tshark -z expert" rows ("  476  Sequence  TCP  Duplicate ACK (#3)") into totals per message.</summary>
    private static string SummarizeExpert(string output)
    {
        var totals = new Dictionary<string, long>();
        foreach (string line in output.Split('\n'))
        {
            var m = System.Text.RegularExpressions.Regex.Match(line, @"^\s*(\d+)\s+\S+\s+\S+\s+(.+?)\s*$");
            if (!m.Success)
            {
                continue;
            }

            string key = System.Text.RegularExpressions.Regex.Replace(m.Groups[2].Value, @"\s*\(#\d+\)$", string.Empty);
            totals[key] = totals.GetValueOrDefault(key) + long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        }

        return string.Join("; ", totals.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key}: {kv.Value}"));
    }
}
