namespace Smolmix.Devices;

/// <summary>
/// Wraps a device and impairs the packets crossing it (loss, duplication, corruption, a
/// bandwidth bottleneck, delay and jitter), with separate <see cref="ImpairmentOptions"/> for
/// each direction. Delayed packets are held in a priority queue by delivery time and released
/// by timers of the injected <see cref="TimeProvider"/>, so the device runs in real time or,
/// with a fake clock, in test time.
/// </summary>
/// <remarks>
/// <para>An impaired direction behaves like a network path, not a pipe: writes never wait for the
/// inner device; instead packets beyond the bottleneck queue, or beyond <c>maxHeldPackets</c>
/// held packets, are dropped and counted. The inbound direction reads the inner device
/// continuously in the background. A direction with null options passes packets straight through
/// (with the inner device's own backpressure).</para>
/// <para>With <see cref="TimeProvider.System"/>, delivery timers have millisecond granularity;
/// other providers (such as a fake clock) get exact times.</para>
/// <para>The device owns the inner device and disposes it. If the inner device closes, impaired
/// writes start throwing <see cref="ObjectDisposedException"/> and impaired reads drain the held
/// packets at their time and then return 0. A delayed packet the inner device rejects with any
/// other exception is dropped, as a network would.</para>
/// </remarks>
internal sealed class ImpairmentDevice : IPacketDevice
{
    private readonly IPacketDevice _inner;
    private readonly DelayLine? _outbound;
    private readonly DelayLine? _inbound;
    private readonly CancellationTokenSource _stop = new();
    private readonly TimeProvider _timeProvider;
    private readonly Task _outboundPump = Task.CompletedTask;
    private readonly Task _inboundPump = Task.CompletedTask;
    private volatile bool _disposed;
    private volatile bool _outboundBroken;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    /// <param name="inner">The device to impair; disposed with this one.</param>
    /// <param name="outbound">The impairment of packets written to this device, or null for none.</param>
    /// <param name="inbound">The impairment of packets read from this device, or null for none.</param>
    /// <param name="timeProvider">The clock and timers; <see cref="TimeProvider.System"/> by default.</param>
    /// <param name="maxHeldPackets">The most packets each direction holds at once; more are dropped and counted.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxHeldPackets"/> is not positive.</exception>
    public ImpairmentDevice(
        IPacketDevice inner,
        ImpairmentOptions? outbound,
        ImpairmentOptions? inbound,
        TimeProvider? timeProvider = null,
        int maxHeldPackets = 65536)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxHeldPackets, 1);
        _inner = inner;
        _timeProvider = timeProvider ??= TimeProvider.System;
        if (outbound is not null)
        {
            _outbound = new DelayLine(outbound, timeProvider, maxHeldPackets);
            _outboundPump = Task.Run(PumpOutboundAsync);
        }

        if (inbound is not null)
        {
            _inbound = new DelayLine(inbound, timeProvider, maxHeldPackets);
            _inboundPump = Task.Run(PumpInboundAsync);
        }
    }

    /// <inheritdoc />
    public int Mtu => _inner.Mtu;

    /// <summary>What the outbound impairment has done so far (all zero when it is off).</summary>
    public ImpairmentCounters OutboundCounters => _outbound?.Counters ?? default;

    /// <summary>What the inbound impairment has done so far (all zero when it is off).</summary>
    public ImpairmentCounters InboundCounters => _inbound?.Counters ?? default;

    /// <summary>Packets held by the outbound impairment, waiting for their time.</summary>
    internal int OutboundHeldCount => _outbound?.HeldCount ?? 0;

    /// <summary>Packets held by the inbound impairment, waiting for their time.</summary>
    internal int InboundHeldCount => _inbound?.HeldCount ?? 0;

    /// <inheritdoc />
    public ValueTask WriteAsync(ReadOnlyMemory<byte> packet, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_outbound is null)
        {
            return _inner.WriteAsync(packet, cancellationToken);
        }

        if (packet.Length == 0 || packet.Length > Mtu)
        {
            throw new ArgumentException($"A packet must be 1..{Mtu} bytes long; this one is {packet.Length}.", nameof(packet));
        }

        if (_outboundBroken || !_outbound.Offer(packet.Span))
        {
            throw new ObjectDisposedException(nameof(ImpairmentDevice), "The inner device is closed.");
        }

        return default;
    }

    /// <inheritdoc />
    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_disposed)
        {
            return new ValueTask<int>(0);
        }

        return _inbound is null ? _inner.ReadAsync(buffer, cancellationToken) : ReadImpairedAsync(_inbound, buffer, cancellationToken);
    }

    private static async ValueTask<int> ReadImpairedAsync(DelayLine line, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var (ok, packet) = await line.DequeueDueAsync(cancellationToken).ConfigureAwait(false);
        if (!ok)
        {
            return 0;
        }

        int n = packet.CopyTo(buffer.Span);
        packet.Return();
        return n;
    }

    private async Task PumpOutboundAsync()
    {
        var line = _outbound!;
        try
        {
            while (true)
            {
                var (ok, packet) = await line.DequeueDueAsync(_stop.Token).ConfigureAwait(false);
                if (!ok)
                {
                    return;
                }

                try
                {
                    await _inner.WriteAsync(packet.Memory, _stop.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not ObjectDisposedException and not OperationCanceledException)
                {
                    // The inner device rejected this packet (for example a TUN interface that is down):
                    // like a network, drop it and carry on.
                }
                finally
                {
                    packet.Return();
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (ObjectDisposedException)
        {
            // The inner device closed: the path is gone. Later writes report it.
            _outboundBroken = true;
            line.Dispose();
        }
    }

    private async Task PumpInboundAsync()
    {
        var line = _inbound!;
        var scratch = new byte[Math.Max(_inner.Mtu, ushort.MaxValue)];
        try
        {
            while (true)
            {
                int n = await _inner.ReadAsync(scratch, _stop.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                line.Offer(scratch.AsSpan(0, n));
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception)
        {
            // The inner device failed: treat it as closed.
        }

        line.Complete();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _stop.Cancel();
        _outbound?.Dispose();
        _inbound?.Dispose();
        await _inner.DisposeAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_outboundPump, _inboundPump).WaitAsync(TimeSpan.FromSeconds(5), _timeProvider).ConfigureAwait(false);
            _stop.Dispose();
        }
        catch (TimeoutException)
        {
            // A misbehaving inner device ignored cancellation; the pumps end when it does.
        }
    }
}
