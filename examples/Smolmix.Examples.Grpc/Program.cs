using System.Diagnostics;
using System.Net.Http;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using Smolmix;
using Smolmix.CommandLine;
using Smolmix.Devnet;
using Smolmix.Echo;
using Smolmix.Examples.Grpc;
using Smolmix.Http;
using Smolmix.Tls;

// smolmix-grpc: gRPC calls through a Smolmix tunnel (a GrpcChannel whose HttpHandler is a SmolmixHandler).
//
//   smolmix-grpc [--count N] [--deadline SECONDS] [--preset instant|nym|harsh]
//                an embedded Devnet and an embedded Kestrel echo service (https://grpc.smolmix.test)
//   smolmix-grpc --nym-client ws://127.0.0.1:1977 --exit <IPR address> --url https://echo.example:443 [--count N]
//                any server of echo.proto (smolmix.echo.Echo); http:// URLs speak h2c
//
// Makes three unary calls and one server-streaming call of N messages, each with a deadline, and prints
// the round-trip times. Note: Smolmix channels have no channel.ConnectAsync() or channel.State (the
// handler's ConnectCallback makes gRPC treat the transport as custom); the first call connects.
const string Name = "smolmix-grpc";
const string Usage = "usage: smolmix-grpc [--nym-client URI --exit ADDRESS --url http(s)://HOST:PORT] [--count N] [--deadline SECONDS] [--preset instant|nym|harsh] [--timeout SECONDS] [-v]\nexit codes: 0 ok, 1 failed (one line says why), 2 usage error, 130 interrupted";
return await CommandRunner.RunAsync(Name, args, async interrupt =>
{
    TimeSpan timeout = TimeSpan.FromMinutes(10);
    var opts = new Dictionary<string, string>(StringComparer.Ordinal);
    var preset = DevnetPreset.Nym;
    var reader = new ArgReader(args);
    Uri? url = null;
    int count = 10;
    double deadlineSeconds = 60;
    while (reader.Next(out string? arg))
    {
        switch (arg)
        {
            case "--preset": preset = reader.Choice(arg, ("instant", DevnetPreset.Instant), ("nym", DevnetPreset.Nym), ("harsh", DevnetPreset.Harsh)); break;
            case "--nym-client": opts["nym-client"] = reader.NymClient(arg).ToString(); break;
            case "--exit": opts["exit"] = reader.ExitAddress(arg); break;
            case "--timeout": timeout = reader.Seconds(arg); break;
            case "-v" or "--verbose": break; // the runner prints the whole exception on failure
            case "-h" or "--help": Console.WriteLine(Usage); return ExitCode.Ok;
            case "--url": url = reader.Uri(arg, "https", "http"); opts["url"] = url.ToString(); break;
            case "--count": count = reader.Int(arg, 0, 1_000_000); break;
            case "--deadline": deadlineSeconds = reader.Seconds(arg, TimeSpan.FromHours(1)).TotalSeconds; break;
            default: throw reader.Unknown(arg);
        }
    }

    bool embedded = !opts.ContainsKey("nym-client");
    if (!embedded && (!opts.ContainsKey("exit") || !opts.ContainsKey("url")))
    {
        throw new UsageException("--nym-client needs --exit and --url");
    }

    if (embedded && opts.ContainsKey("exit"))
    {
        throw new UsageException("--exit goes with --nym-client (without it, the example brings its own embedded Devnet)");
    }

    using var cts = CancellationTokenSource.CreateLinkedTokenSource(interrupt);
    cts.CancelAfter(timeout);

    const string SiteName = "grpc.smolmix.test";
    DevnetCertificateAuthority? ca = null;
    EchoSite? site = null;
    Devnet? devnet = null;
    try
    {
        Uri nymClient;
        string exit;
        var handlerOptions = new SmolmixHandlerOptions
        {
            ConnectionEstablished = c => Console.WriteLine(
                $"connected to {c.Host} ({c.RemoteEndPoint}): resolve {c.NameResolution.TotalMilliseconds:0} ms, tcp {c.TcpConnect.TotalMilliseconds:0} ms, tls {c.TlsHandshake.TotalMilliseconds:0} ms, HTTP/{c.HttpVersion}"),
        };
        if (embedded)
        {
            ca = DevnetCertificateAuthority.Create();
            site = await EchoSite.StartAsync(ca.IssueServerCertificate([SiteName]), cts.Token);
            var devnetOptions = new DevnetOptions { Preset = preset };
            devnetOptions.Hosts[SiteName] = site.EndPoint;
            devnet = await Devnet.StartAsync(devnetOptions, cts.Token);
            nymClient = devnet.NymClientUri;
            exit = devnet.ExitAddress;
            url ??= new Uri($"https://{SiteName}:{site.EndPoint.Port}");
            handlerOptions.Tls = new TunnelTlsOptions { TrustedRoots = new X509Certificate2Collection(ca.Certificate) };
            Console.WriteLine($"embedded Devnet ({preset}) at {nymClient}; Kestrel gRPC echo at {site.EndPoint}, named {SiteName}");
        }
        else
        {
            nymClient = new Uri(opts["nym-client"]);
            exit = opts["exit"];
        }

        CommandRunner.Step($"connecting the tunnel through {nymClient}");
        var clock = Stopwatch.StartNew();
        await using Tunnel tunnel = await Tunnel.ConnectAsync(new TunnelOptions { NymClient = nymClient, Exits = [exit], ConnectTimeout = timeout }, cts.Token);
        Console.WriteLine($"tunnel ready in {clock.ElapsedMilliseconds} ms ({tunnel.IPv4Address}, IPR v{tunnel.ProtocolVersion})");

        using GrpcChannel channel = GrpcChannel.ForAddress(url!, new GrpcChannelOptions { HttpHandler = SmolmixHandler.Create(tunnel, handlerOptions), DisposeHttpClient = true });
        var client = new Echo.EchoClient(channel);
        TimeSpan deadline = TimeSpan.FromSeconds(deadlineSeconds);

        foreach (string text in new[] { "hello", "through", "the mixnet" })
        {
            clock.Restart();
            EchoReply reply = await client.UnaryAsync(new EchoRequest { Text = text }, deadline: DateTime.UtcNow + deadline, cancellationToken: cts.Token);
            Console.WriteLine($"Unary(\"{text}\") -> \"{reply.Text}\" over {reply.Protocol}   ({clock.Elapsed.TotalMilliseconds:0.0} ms)");
        }

        clock.Restart();
        using AsyncServerStreamingCall<EchoReply> call = client.ServerStream(new StreamRequest { Text = "tick", Count = count }, deadline: DateTime.UtcNow + deadline, cancellationToken: cts.Token);
        int received = 0;
        double first = 0;
        await foreach (EchoReply reply in call.ResponseStream.ReadAllAsync(cts.Token))
        {
            if (reply.Number != received)
            {
                Console.Error.WriteLine($"{Name}: message {reply.Number} arrived where {received} was expected");
                return 1;
            }

            received++;
            first = received == 1 ? clock.Elapsed.TotalMilliseconds : first;
            if (count <= 20)
            {
                Console.WriteLine($"ServerStream: {reply.Text} #{reply.Number} at {clock.Elapsed.TotalMilliseconds:0.0} ms");
            }
        }

        Console.WriteLine($"ServerStream(count={count}): {received} messages in order, first at {first:0.0} ms, all in {clock.Elapsed.TotalMilliseconds:0.0} ms, status {call.GetStatus().StatusCode}");
        return received == count ? 0 : 1;
    }
    catch (RpcException ex)
    {
        // Connection failures come back as Unavailable, with the HttpRequestException as the detail.
        string detail = ex.Status.Detail is { Length: > 0 } d ? d
            : ex.StatusCode == StatusCode.DeadlineExceeded ? $"no reply within the {deadlineSeconds} s deadline (--deadline)"
            : "no detail";
        Console.Error.WriteLine($"{Name}: {ex.StatusCode}: {detail}");
        return ExitCode.Failure;
    }
    finally
    {
        if (devnet is not null)
        {
            await devnet.DisposeAsync();
        }

        if (site is not null)
        {
            await site.DisposeAsync();
        }

        ca?.Dispose();
    }
});
