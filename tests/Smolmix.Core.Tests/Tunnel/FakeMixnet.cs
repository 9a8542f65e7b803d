using Smolmix.Nym;
using Smolmix.Tests.Nym;

namespace Smolmix.Tests.Tunnel;

/// <summary>
/// A fake nym-client (WebSocket on 127.0.0.1) in front of any number of <see cref="FakeInternetExit"/>s:
/// every repliable message goes to the exit it is addressed to; the exits answer through the same
/// WebSocket as nym-client delivers replies (no sender tag).
/// </summary>
internal sealed class FakeMixnet : IAsyncDisposable
{
    private readonly List<FakeInternetExit> _exits = [];
    private readonly Lock _gate = new();

    public FakeMixnet(TimeProvider? time = null)
    {
        Time = time ?? TimeProvider.System;
        Server = new FakeNymClientServer { RecordRequests = false };
        Server.OnMessage = DispatchAsync;
    }

    public FakeNymClientServer Server { get; }

    public TimeProvider Time { get; }

    public FakeInternetExit AddExit(params byte[] versions)
    {
        lock (_gate)
        {
            var exit = new FakeInternetExit(this, _exits.Count, versions.Length == 0 ? [8, 9, 10] : versions);
            _exits.Add(exit);
            return exit;
        }
    }

    public TunnelOptions Options(params FakeInternetExit[] exits) => new()
    {
        NymClient = Server.Endpoint,
        Exits = [.. exits.Select(e => e.Address.ToString())],
        TimeProvider = Time,
        ProtocolVersionTimeout = TimeSpan.FromSeconds(1),
    };

    public async ValueTask DisposeAsync()
    {
        FakeInternetExit[] exits;
        lock (_gate)
        {
            exits = [.. _exits];
        }

        foreach (FakeInternetExit exit in exits)
        {
            await exit.DisposeAsync();
        }

        await Server.DisposeAsync();
    }

    private Task DispatchAsync(NymClientRequest request)
    {
        if (request is not NymClientRequest.SendAnonymous send)
        {
            return Task.CompletedTask;
        }

        FakeInternetExit? exit;
        lock (_gate)
        {
            exit = _exits.Find(e => e.Address == send.Recipient);
        }

        return exit?.HandleAsync(send) ?? Task.CompletedTask;
    }
}
