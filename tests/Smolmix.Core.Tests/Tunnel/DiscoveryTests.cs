using Smolmix.Discovery;
using Smolmix.Nym;
using Microsoft.Extensions.Logging.Abstractions;

namespace Smolmix.Tests.Tunnel;

public sealed class DiscoveryTests
{
    private static string Key(int i) => Base58.Encode(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i)));

    [Fact]
    public async Task FollowsPaginationAndKeepsOnlyUsableExits()
    {
        NymAddress good = TestAddresses.Random(), slower = TestAddresses.Random();
        FakeNode[] nodes =
        [
            new(Key(1), "1.37.0", good.ToString(), "0.95"),
            new(Key(2), "1.31.2", slower.ToString(), "0.60", SupportsExitIpr: null), // older directory: no supported_roles
            new(Key(3), "1.37.0", null, "0.99"),                                     // no IPR
            new(Key(4), "1.29.3", TestAddresses.Random().ToString(), "0.99"),       // too old for v9
            new(Key(5), "1.30.0-rc.1", TestAddresses.Random().ToString(), "0.99"),  // pre-release of the minimum
            new(Key(6), "1.37.0", "not-a-nym-address", "0.99"),
            new(Key(7), "1.37.0", TestAddresses.Random().ToString(), "0.99", SupportsExitIpr: false), // a mix node with a stale IPR description
            new(Key(8), "1.37.0", TestAddresses.Random().ToString(), "0.30"),       // below the performance floor
            new(Key(9), "1.37.0", TestAddresses.Random().ToString(), "0.99", Described: false),
            new(Key(10), "banana", TestAddresses.Random().ToString(), "0.99"),
            new(Key(11), "1.37.0", TestAddresses.Random().ToString(), "0.99", SupportsExitIpr: null, DeclaresExitIpr: false),
        ];
        await using var api = new FakeNymApi(nodes, pageSize: 3);

        IReadOnlyList<ExitCandidate> exits = await ExitDirectory.DiscoverAsync(api.BaseUri, new ExitDiscoveryOptions(), TimeProvider.System, NullLogger.Instance, CancellationToken.None);

        Assert.Equal(new HashSet<NymAddress> { good, slower }, exits.Select(e => e.Address).ToHashSet());
        ExitCandidate v10 = exits.Single(e => e.Address == good);
        ExitCandidate v9 = exits.Single(e => e.Address == slower);
        Assert.Equal([10, 9, 8], v10.VersionsToOffer([10, 9, 8]).Select(v => (int)v));
        Assert.Equal([9, 8], v9.VersionsToOffer([10, 9, 8]).Select(v => (int)v));
        Assert.Equal(0.95, v10.Performance);

        string[] requests = [.. api.Requests];
        Assert.Equal(["/api/v2/nym-nodes/described?page=0", "/api/v2/nym-nodes/described?page=1", "/api/v2/nym-nodes/described?page=2", "/api/v2/nym-nodes/described?page=3"],
            requests.Where(r => r.Contains("described", StringComparison.Ordinal)).Order());
        Assert.Equal(4, requests.Count(r => r.Contains("skimmed", StringComparison.Ordinal))); // 11 nodes, 3 per page
    }

    [Fact]
    public void TheDrawIsWeightedByPerformance()
    {
        NymAddress fast = TestAddresses.Random(), slow = TestAddresses.Random();
        DescribedNode[] described = [new(Key(1), "1.37.0", fast.ToString(), true), new(Key(2), "1.37.0", slow.ToString(), true)];
        SkimmedNode[] skimmed = [new(Key(1), 0.90, true), new(Key(2), 0.60, true)];
        var options = new ExitDiscoveryOptions();
        int fastFirst = 0;
        const int draws = 2000;
        for (int seed = 0; seed < draws; seed++)
        {
            IReadOnlyList<ExitCandidate> order = ExitDirectory.Select(described, skimmed, options, new Random(seed).NextDouble);
            Assert.Equal(2, order.Count);
            if (order[0].Address == fast)
            {
                fastFirst++;
            }
        }

        // P(first = fast) = 90 / (90 + 60) = 0.6 for a draw proportional to the scores.
        Assert.InRange(fastFirst / (double)draws, 0.56, 0.64);
    }

    [Fact]
    public void ZeroScoresAndDuplicatesAreSkippedAndTheListIsCapped()
    {
        NymAddress a = TestAddresses.Random();
        var described = new List<DescribedNode> { new(Key(1), "1.37.0", a.ToString(), true), new(Key(2), "1.37.0", a.ToString(), true) };
        var skimmed = new List<SkimmedNode> { new(Key(1), 0.8, true), new(Key(2), 0.8, true) };
        for (int i = 10; i < 30; i++)
        {
            described.Add(new(Key(i), "1.37.0", TestAddresses.Random().ToString(), true));
            skimmed.Add(new(Key(i), 0.7, true));
        }

        IReadOnlyList<ExitCandidate> exits = ExitDirectory.Select(described, skimmed, new ExitDiscoveryOptions { MaxExits = 5, MinimumPerformance = 0 }, new Random(1).NextDouble);
        Assert.Equal(5, exits.Count);
        Assert.Equal(exits.Count, exits.Select(e => e.Address).Distinct().Count());
        Assert.Empty(ExitDirectory.Select(described.Take(1).ToList(), [new(Key(1), 0.001, true)], new ExitDiscoveryOptions { MinimumPerformance = 0 }, Random.Shared.NextDouble));
    }

    [Theory]
    [InlineData("1.30.0", 1, 30, 0, false)]
    [InlineData("1.37.0-rc.2+abc", 1, 37, 0, true)]
    [InlineData("v1.2.3", 0, 0, 0, false)]
    [InlineData("1.2", 0, 0, 0, false)]
    public void ParsesNodeVersions(string text, int major, int minor, int patch, bool prerelease)
    {
        bool ok = ExitDirectory.TryParseVersion(text, out Version? version, out bool pre);
        Assert.Equal(major != 0, ok);
        if (ok)
        {
            Assert.Equal(new Version(major, minor, patch), version);
            Assert.Equal(prerelease, pre);
        }
    }

    [Fact]
    public async Task ATunnelWithoutConfiguredExitsDiscoversOneAndFailsOverWithinTheDiscoveredList()
    {
        await using var net = new FakeMixnet();
        FakeInternetExit dead = net.AddExit(10);
        FakeInternetExit live = net.AddExit(10);
        dead.Kill();
        await using var api = new FakeNymApi(
        [
            new(dead.Address.GatewayIdentity, "1.37.0", dead.Address.ToString(), "0.99"),
            new(live.Address.GatewayIdentity, "1.37.0", live.Address.ToString(), "0.55"),
            new(Key(3), "1.20.0", TestAddresses.Random().ToString(), "1"),
        ]);
        TunnelOptions options = net.Options();
        options.NymApi = api.BaseUri;
        options.Discovery.RandomSeed = 7;

        await using Smolmix.Tunnel tunnel = await Smolmix.Tunnel.ConnectAsync(options);
        Assert.Equal(live.Address.ToString(), tunnel.Exit);
        Assert.Contains(api.Requests, r => r.StartsWith("/api/v2/unstable/nym-nodes/skimmed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnUnreachableDirectoryFailsTheConnectWithinItsTimeout()
    {
        await using var net = new FakeMixnet();
        TunnelOptions options = net.Options();
        options.NymApi = new Uri("http://127.0.0.1:9/api/");
        options.ConnectTimeout = TimeSpan.FromSeconds(3);
        options.Reconnect.InitialDelay = TimeSpan.FromMilliseconds(100);
        TunnelException failure = await Assert.ThrowsAsync<TunnelException>(() => Smolmix.Tunnel.ConnectAsync(options));
        Assert.Equal(TunnelFailureReason.DirectoryUnavailable, failure.Reason);
        Assert.IsType<HttpRequestException>(failure.InnerException);
    }
}
