using System.Net;
using System.Net.Sockets;

namespace Smolmix.Devnet.Egress;

/// <summary>One client's UDP conversation with one destination: a connected host socket and its last activity.</summary>
internal sealed class UdpFlow : IDisposable
{
    public UdpFlow(FlowKey key, Socket socket, TimeSpan now)
    {
        Key = key;
        Socket = socket;
        LastActivity = now;
    }

    public FlowKey Key { get; }

    public Socket Socket { get; }

    public TimeSpan LastActivity { get; set; }

    public Task Receiver { get; set; } = Task.CompletedTask;

    public CancellationTokenSource Stop { get; } = new();

    public IPEndPoint Client => Key.Client;

    public void Dispose()
    {
        Stop.Cancel();
        Socket.Dispose();
        Stop.Dispose();
    }
}
