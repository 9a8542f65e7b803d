using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Xunit.Abstractions;

namespace Smolmix.Dns.Tests.Support;

/// <summary>
/// Proves the <see cref="UnboundServer"/> fixture serves every case of <see cref="TestZone"/>, with hand-built queries over
/// plain sockets and <see cref="SslStream"/> (no Smolmix code on the path).
/// </summary>
public sealed class UnboundServerTests(ITestOutputHelper output)
{
    // SERVFAIL comes at once (measured around 10 ms); the bound leaves room for a loaded two-core machine.
    private static readonly TimeSpan ServFailBound = TimeSpan.FromSeconds(2);

    private static CancellationToken Timeout(TimeSpan? after = null) =>
        new CancellationTokenSource(after ?? TimeSpan.FromSeconds(30)).Token;

    [SkippableFact]
    public async Task A_and_AAAA_answers_carry_the_addresses()
    {
        var clock = Stopwatch.StartNew();
        await using UnboundServer server = await UnboundServer.StartAsync(Timeout());
        output.WriteLine($"started in {clock.Elapsed.TotalMilliseconds:F0} ms: DNS {server.DnsEndPoint}, DoT {server.TlsEndPoint}");

        RawDns.Message a = await RawDns.UdpAsync(server.DnsEndPoint, RawDns.Query(1, TestZone.HostName, RawDns.A));
        Assert.Equal(0, a.Rcode);
        Assert.True(a.RecursionAvailable);
        Assert.False(a.Truncated);
        RawDns.Record answer = Assert.Single(a.Answers);
        Assert.Equal((TestZone.HostName, RawDns.A), (answer.Name, answer.Type));
        Assert.Equal(TestZone.HostV4, new IPAddress(answer.Data));
        Assert.InRange(answer.Ttl, 1u, (uint)TestZone.NormalTtl);
        Assert.Equal(UnboundServer.EdnsPayloadSize, Assert.Single(a.Additional, r => r.Type == RawDns.Opt).Class);

        RawDns.Message aaaa = await RawDns.TcpAsync(server.DnsEndPoint, RawDns.Query(2, TestZone.HostName, RawDns.Aaaa));
        Assert.Equal(0, aaaa.Rcode);
        Assert.Equal(TestZone.HostV6, new IPAddress(Assert.Single(aaaa.Answers).Data));
    }

    [SkippableFact]
    public async Task Cname_chain_of_three_hops_ends_in_the_address()
    {
        await using UnboundServer server = await UnboundServer.StartAsync(Timeout());

        foreach ((ushort type, IPAddress expected) in new[] { (RawDns.A, TestZone.CnameTargetV4), (RawDns.Aaaa, TestZone.CnameTargetV6) })
        {
            RawDns.Message reply = await RawDns.UdpAsync(server.DnsEndPoint, RawDns.Query(3, TestZone.CnameChainStart, type));
            Assert.Equal(0, reply.Rcode);
            Assert.Equal(4, reply.Answers.Count);
            for (int hop = 0; hop < 3; hop++)
            {
                RawDns.Record cname = reply.Answers[hop];
                Assert.Equal((TestZone.CnameChain[hop], RawDns.Cname), (cname.Name, cname.Type));
                Assert.Equal(TestZone.CnameChain[hop + 1], RawDns.ReadName(reply.Bytes, cname.DataOffset, out _));
            }

            RawDns.Record last = reply.Answers[3];
            Assert.Equal((TestZone.CnameTargetName, type), (last.Name, last.Type));
            Assert.Equal(expected, new IPAddress(last.Data));
        }
    }

    [SkippableFact]
    public async Task Nonexistent_name_is_NXDOMAIN_with_the_SOA_for_negative_caching()
    {
        await using UnboundServer server = await UnboundServer.StartAsync(Timeout());

        RawDns.Message reply = await RawDns.UdpAsync(server.DnsEndPoint, RawDns.Query(4, TestZone.NxDomainName, RawDns.A));

        Assert.Equal(3, reply.Rcode);
        Assert.Empty(reply.Answers);
        RawDns.Record soa = Assert.Single(reply.Authority);
        Assert.Equal((TestZone.Name, RawDns.Soa), (soa.Name, soa.Type));
        Assert.InRange(soa.Ttl, 1u, (uint)TestZone.NegativeTtl);
        Assert.Equal((uint)TestZone.NegativeTtl, RawDns.SoaMinimum(reply.Bytes, soa));
    }

    [SkippableFact]
    public async Task Name_without_AAAA_is_NODATA_with_the_SOA()
    {
        await using UnboundServer server = await UnboundServer.StartAsync(Timeout());

        RawDns.Message aaaa = await RawDns.UdpAsync(server.DnsEndPoint, RawDns.Query(5, TestZone.V4OnlyName, RawDns.Aaaa));
        Assert.Equal(0, aaaa.Rcode);
        Assert.Empty(aaaa.Answers);
        Assert.Equal(RawDns.Soa, Assert.Single(aaaa.Authority).Type);

        RawDns.Message a = await RawDns.UdpAsync(server.DnsEndPoint, RawDns.Query(6, TestZone.V4OnlyName, RawDns.A));
        Assert.Equal(TestZone.V4OnlyV4, new IPAddress(Assert.Single(a.Answers).Data));
    }

    [SkippableFact]
    public async Task ServFail_name_fails_quickly_every_time()
    {
        await using UnboundServer server = await UnboundServer.StartAsync(Timeout());

        // First query (nothing cached), a repeat, another type, and a name below it.
        (string Name, ushort Type)[] queries =
            [(TestZone.ServFailName, RawDns.A), (TestZone.ServFailName, RawDns.A), (TestZone.ServFailName, RawDns.Aaaa), ("x." + TestZone.ServFailName, RawDns.Txt)];
        ushort id = 7;
        foreach ((string name, ushort type) in queries)
        {
            var clock = Stopwatch.StartNew();
            RawDns.Message reply = await RawDns.UdpAsync(server.DnsEndPoint, RawDns.Query(id++, name, type), ServFailBound);
            clock.Stop();
            Assert.Equal(2, reply.Rcode);
            Assert.Empty(reply.Answers);
            Assert.True(clock.Elapsed < ServFailBound, $"SERVFAIL took {clock.Elapsed.TotalMilliseconds} ms");
            output.WriteLine($"SERVFAIL for {name} type {type}: {clock.Elapsed.TotalMilliseconds:F1} ms");
        }

        RawDns.Message tcp = await RawDns.TcpAsync(server.DnsEndPoint, RawDns.Query(id, TestZone.ServFailName, RawDns.A), ServFailBound);
        Assert.Equal(2, tcp.Rcode);
    }

    [SkippableFact]
    public async Task Big_answer_is_truncated_over_UDP_and_complete_over_TCP()
    {
        await using UnboundServer server = await UnboundServer.StartAsync(Timeout());

        RawDns.Message udp = await RawDns.UdpAsync(server.DnsEndPoint, RawDns.Query(20, TestZone.BigTxtName, RawDns.Txt));
        Assert.True(udp.Truncated);
        Assert.Equal(0, udp.Rcode);
        Assert.InRange(udp.Bytes.Length, 12, UnboundServer.EdnsPayloadSize);
        output.WriteLine($"UDP reply: {udp.Bytes.Length} bytes, TC, {udp.AnswerCount} answers");

        RawDns.Message tcp = await RawDns.TcpAsync(server.DnsEndPoint, RawDns.Query(21, TestZone.BigTxtName, RawDns.Txt));
        Assert.False(tcp.Truncated);
        Assert.Equal(0, tcp.Rcode);
        Assert.True(tcp.Bytes.Length > UnboundServer.EdnsPayloadSize, $"TCP answer is only {tcp.Bytes.Length} bytes");
        output.WriteLine($"TCP reply: {tcp.Bytes.Length} bytes, {tcp.AnswerCount} answers");
        Assert.Equal(
            TestZone.BigTxtStrings.Order(StringComparer.Ordinal),
            tcp.Answers.Select(r => Assert.Single(RawDns.TxtStrings(r))).Order(StringComparer.Ordinal));
    }

    [SkippableFact]
    public async Task Fifty_A_records_fit_in_one_UDP_reply()
    {
        await using UnboundServer server = await UnboundServer.StartAsync(Timeout());

        RawDns.Message reply = await RawDns.UdpAsync(server.DnsEndPoint, RawDns.Query(22, TestZone.ManyName, RawDns.A));

        Assert.False(reply.Truncated);
        Assert.Equal(50, reply.AnswerCount);
        Assert.InRange(reply.Bytes.Length, 12, UnboundServer.EdnsPayloadSize);
        output.WriteLine($"UDP reply: {reply.Bytes.Length} bytes, {reply.AnswerCount} answers");
        Assert.Equal(
            TestZone.ManyAddresses.Select(a => a.ToString()).Order(StringComparer.Ordinal),
            reply.Answers.Select(r => new IPAddress(r.Data).ToString()).Order(StringComparer.Ordinal));
    }

    [SkippableFact]
    public async Task Txt_Mx_and_Srv_records()
    {
        await using UnboundServer server = await UnboundServer.StartAsync(Timeout());

        RawDns.Message txt = await RawDns.UdpAsync(server.DnsEndPoint, RawDns.Query(23, TestZone.TxtName, RawDns.Txt));
        Assert.Equal(TestZone.TxtStrings, RawDns.TxtStrings(Assert.Single(txt.Answers)));

        RawDns.Message mx = await RawDns.UdpAsync(server.DnsEndPoint, RawDns.Query(24, TestZone.MxName, RawDns.Mx));
        Assert.Equal(
            [(10, TestZone.Mail1Name), (20, TestZone.Mail2Name)],
            mx.Answers
                .Select(r => ((int)BinaryPrimitives.ReadUInt16BigEndian(r.Data), RawDns.ReadName(mx.Bytes, r.DataOffset + 2, out _)))
                .OrderBy(x => x.Item1));

        RawDns.Message srv = await RawDns.UdpAsync(server.DnsEndPoint, RawDns.Query(25, TestZone.SrvName, RawDns.Srv));
        RawDns.Record record = Assert.Single(srv.Answers);
        Assert.Equal(RawDns.Srv, record.Type);
        Assert.Equal(10, BinaryPrimitives.ReadUInt16BigEndian(record.Data));
        Assert.Equal(60, BinaryPrimitives.ReadUInt16BigEndian(record.Data.AsSpan(2)));
        Assert.Equal(853, BinaryPrimitives.ReadUInt16BigEndian(record.Data.AsSpan(4)));
        Assert.Equal(TestZone.DnsServerName, RawDns.ReadName(srv.Bytes, record.DataOffset + 6, out _));
    }

    [SkippableFact]
    public async Task Short_ttl_name_has_ttl_two_seconds_and_others_are_normal()
    {
        await using UnboundServer server = await UnboundServer.StartAsync(Timeout());

        RawDns.Message shortTtl = await RawDns.UdpAsync(server.DnsEndPoint, RawDns.Query(26, TestZone.ShortTtlName, RawDns.A));
        RawDns.Record record = Assert.Single(shortTtl.Answers);
        Assert.Equal(TestZone.ShortTtlV4, new IPAddress(record.Data));
        Assert.InRange(record.Ttl, 0u, (uint)TestZone.ShortTtl);

        RawDns.Message normal = await RawDns.UdpAsync(server.DnsEndPoint, RawDns.Query(27, TestZone.Mail1Name, RawDns.A));
        Assert.InRange(Assert.Single(normal.Answers).Ttl, (uint)TestZone.NormalTtl - 10, (uint)TestZone.NormalTtl);
    }

    [SkippableFact]
    public async Task Names_outside_the_zone_are_refused()
    {
        await using UnboundServer server = await UnboundServer.StartAsync(Timeout());

        RawDns.Message reply = await RawDns.UdpAsync(server.DnsEndPoint, RawDns.Query(28, TestZone.OutsideName, RawDns.A));

        Assert.Equal(5, reply.Rcode);
        Assert.Empty(reply.Answers);
    }

    [SkippableFact]
    public async Task DoT_answers_with_a_certificate_that_validates_against_the_test_CA()
    {
        await using UnboundServer server = await UnboundServer.StartAsync(Timeout());
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.TlsEndPoint, cts.Token);
        await using var tls = new SslStream(tcp.GetStream());
        await tls.AuthenticateAsClientAsync(server.CreateTlsClientOptions(), cts.Token);
        Assert.Equal(UnboundServer.TlsServerName, tls.TargetHostName);

        RawDns.Message reply = await RawDns.StreamExchangeAsync(tls, RawDns.Query(29, TestZone.HostName, RawDns.A), cts.Token);
        Assert.Equal(0, reply.Rcode);
        Assert.Equal(TestZone.HostV4, new IPAddress(Assert.Single(reply.Answers).Data));

        // A second query on the same connection (DoT keeps the connection open).
        RawDns.Message second = await RawDns.StreamExchangeAsync(tls, RawDns.Query(30, TestZone.CnameChainStart, RawDns.Aaaa), cts.Token);
        Assert.Equal(TestZone.CnameTargetV6, new IPAddress(second.Answers[^1].Data));
    }

    [SkippableFact]
    public async Task DoT_certificate_is_rejected_for_another_name_or_without_the_test_CA()
    {
        await using UnboundServer server = await UnboundServer.StartAsync(Timeout());

        SslClientAuthenticationOptions wrongName = server.CreateTlsClientOptions();
        wrongName.TargetHost = "other.smolmix.test";
        await Assert.ThrowsAsync<AuthenticationException>(() => HandshakeAsync(server, wrongName));

        SslClientAuthenticationOptions systemTrust = server.CreateTlsClientOptions();
        systemTrust.CertificateChainPolicy = null;
        await Assert.ThrowsAsync<AuthenticationException>(() => HandshakeAsync(server, systemTrust));

        static async Task HandshakeAsync(UnboundServer server, SslClientAuthenticationOptions options)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(server.TlsEndPoint, cts.Token);
            await using var tls = new SslStream(tcp.GetStream());
            await tls.AuthenticateAsClientAsync(options, cts.Token);
        }
    }

    [SkippableFact]
    public async Task Dispose_stops_unbound_and_leaves_no_process()
    {
        UnboundServer server = await UnboundServer.StartAsync(Timeout());
        int watchdog = server.ProcessId;
        int[] children;
        try
        {
            children = ChildrenOf(watchdog);
            Assert.Contains(children, pid => ProcessName(pid) == "unbound");
        }
        finally
        {
            await server.DisposeAsync();
        }

        // A process that has just exited may still be a zombie until its new parent reaps it: wait (bounded) for
        // every process of the tree to be gone or a zombie.
        int[] tree = children.Append(watchdog).ToArray();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (tree.Any(IsRunning) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.All(tree, pid => Assert.False(IsRunning(pid), $"pid {pid} ({ProcessName(pid)}) still runs"));
        await Assert.ThrowsAnyAsync<Exception>(() => RawDns.UdpAsync(server.DnsEndPoint, RawDns.Query(31, TestZone.HostName, RawDns.A), TimeSpan.FromMilliseconds(500)));

        static int[] ChildrenOf(int pid) =>
            File.ReadAllText($"/proc/{pid}/task/{pid}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();

        static bool IsRunning(int pid)
        {
            try
            {
                // /proc/<pid>/stat: "pid (comm) state ..."; comm may hold spaces and parentheses, the state follows the last ')'.
                string stat = File.ReadAllText($"/proc/{pid}/stat");
                return stat[(stat.LastIndexOf(')') + 2)..][0] is not ('Z' or 'X');
            }
            catch (IOException)
            {
                return false;
            }
        }

        static string? ProcessName(int pid)
        {
            try
            {
                return File.ReadAllText($"/proc/{pid}/comm").Trim();
            }
            catch (IOException)
            {
                return null;
            }
        }
    }

    [SkippableFact]
    public async Task Servers_run_side_by_side_on_their_own_ports()
    {
        await using UnboundServer first = await UnboundServer.StartAsync(Timeout());
        await using UnboundServer second = await UnboundServer.StartAsync(Timeout());

        Assert.NotEqual(first.DnsEndPoint, second.DnsEndPoint);
        Assert.Equal(0, (await RawDns.UdpAsync(first.DnsEndPoint, RawDns.Query(32, TestZone.HostName, RawDns.A))).Rcode);
        Assert.Equal(0, (await RawDns.UdpAsync(second.DnsEndPoint, RawDns.Query(33, TestZone.HostName, RawDns.A))).Rcode);
    }
}

/// <summary>Just enough DNS wire format for the fixture tests: build one query, parse the reply (RFC 1035, RFC 6891).</summary>
internal static class RawDns
{
    public const ushort A = 1, Cname = 5, Soa = 6, Mx = 15, Txt = 16, Aaaa = 28, Srv = 33, Opt = 41;

    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    public sealed record Record(string Name, ushort Type, ushort Class, uint Ttl, byte[] Data, int DataOffset);

    public sealed record Message(
        byte[] Bytes, ushort Id, ushort Flags, int AnswerCount,
        IReadOnlyList<Record> Answers, IReadOnlyList<Record> Authority, IReadOnlyList<Record> Additional)
    {
        public int Rcode => Flags & 0x0f;

        public bool Truncated => (Flags & 0x0200) != 0;

        public bool RecursionAvailable => (Flags & 0x0080) != 0;
    }

    /// <summary>Header (RD set), one question of class IN, and an OPT record advertising 1232 bytes.</summary>
    public static byte[] Query(ushort id, string name, ushort type)
    {
        var query = new List<byte>();
        void U16(int value)
        {
            query.Add((byte)(value >> 8));
            query.Add((byte)value);
        }

        U16(id);
        U16(0x0100);
        U16(1);
        U16(0);
        U16(0);
        U16(1);
        foreach (string label in name.TrimEnd('.').Split('.'))
        {
            query.Add((byte)label.Length);
            query.AddRange(Encoding.ASCII.GetBytes(label));
        }

        query.Add(0);
        U16(type);
        U16(1);
        query.Add(0);
        U16(Opt);
        U16(UnboundServer.EdnsPayloadSize);
        U16(0);
        U16(0);
        U16(0);
        return query.ToArray();
    }

    public static async Task<Message> UdpAsync(IPEndPoint server, byte[] query, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(server);
        await socket.SendAsync(query, SocketFlags.None, cts.Token);
        byte[] buffer = new byte[65535];
        while (true)
        {
            int length = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            Message reply = Parse(buffer.AsSpan(0, length).ToArray());
            if (reply.Id == BinaryPrimitives.ReadUInt16BigEndian(query))
            {
                return reply;
            }
        }
    }

    public static async Task<Message> TcpAsync(IPEndPoint server, byte[] query, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        using var tcp = new TcpClient(server.AddressFamily);
        await tcp.ConnectAsync(server, cts.Token);
        return await StreamExchangeAsync(tcp.GetStream(), query, cts.Token);
    }

    /// <summary>One query and its reply on a stream, each with the two-byte length prefix (TCP and DoT framing).</summary>
    public static async Task<Message> StreamExchangeAsync(Stream stream, byte[] query, CancellationToken cancellationToken)
    {
        byte[] framed = new byte[query.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)query.Length);
        query.CopyTo(framed, 2);
        await stream.WriteAsync(framed, cancellationToken);
        await stream.FlushAsync(cancellationToken);
        byte[] prefix = new byte[2];
        await stream.ReadExactlyAsync(prefix, cancellationToken);
        byte[] reply = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
        await stream.ReadExactlyAsync(reply, cancellationToken);
        Message message = Parse(reply);
        Assert.Equal(BinaryPrimitives.ReadUInt16BigEndian(query), message.Id);
        return message;
    }

    public static Message Parse(byte[] bytes)
    {
        Assert.True(bytes.Length >= 12, $"reply of {bytes.Length} bytes");
        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(2));
        Assert.True((flags & 0x8000) != 0, "QR is not set");
        int[] counts = [.. Enumerable.Range(0, 4).Select(i => (int)BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(4 + (2 * i))))];
        int offset = 12;
        for (int i = 0; i < counts[0]; i++)
        {
            ReadName(bytes, offset, out offset);
            offset += 4;
        }

        List<Record> Section(int count)
        {
            var records = new List<Record>();
            for (int i = 0; i < count; i++)
            {
                string name = ReadName(bytes, offset, out offset);
                ushort type = BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(offset));
                ushort @class = BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(offset + 2));
                uint ttl = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(offset + 4));
                int length = BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(offset + 8));
                offset += 10;
                records.Add(new Record(name, type, @class, ttl, bytes.AsSpan(offset, length).ToArray(), offset));
                offset += length;
            }

            return records;
        }

        List<Record> answers = Section(counts[1]);
        List<Record> authority = Section(counts[2]);
        List<Record> additional = Section(counts[3]);
        Assert.Equal(bytes.Length, offset);
        return new Message(bytes, BinaryPrimitives.ReadUInt16BigEndian(bytes), flags, counts[1], answers, authority, additional);
    }

    /// <summary>A possibly compressed name at <paramref name="offset"/>, without the trailing dot; <paramref name="end"/> is just past it.</summary>
    public static string ReadName(byte[] message, int offset, out int end)
    {
        var labels = new List<string>();
        end = -1;
        for (int jumps = 0; ; jumps++)
        {
            Assert.True(jumps < 64, "compression loop");
            byte length = message[offset];
            if (length == 0)
            {
                if (end < 0)
                {
                    end = offset + 1;
                }

                return string.Join('.', labels);
            }

            if ((length & 0xc0) == 0xc0)
            {
                if (end < 0)
                {
                    end = offset + 2;
                }

                offset = BinaryPrimitives.ReadUInt16BigEndian(message.AsSpan(offset)) & 0x3fff;
                continue;
            }

            labels.Add(Encoding.ASCII.GetString(message, offset + 1, length));
            offset += 1 + length;
        }
    }

    public static IReadOnlyList<string> TxtStrings(Record record)
    {
        Assert.Equal(Txt, record.Type);
        var strings = new List<string>();
        for (int i = 0; i < record.Data.Length; i += 1 + record.Data[i])
        {
            strings.Add(Encoding.ASCII.GetString(record.Data, i + 1, record.Data[i]));
        }

        return strings;
    }

    /// <summary>The MINIMUM field (last 32 bits) of an SOA record.</summary>
    public static uint SoaMinimum(byte[] message, Record soa)
    {
        ReadName(message, soa.DataOffset, out int afterMName);
        ReadName(message, afterMName, out int afterRName);
        return BinaryPrimitives.ReadUInt32BigEndian(message.AsSpan(afterRName + 16));
    }
}
