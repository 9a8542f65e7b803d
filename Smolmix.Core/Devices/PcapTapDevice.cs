namespace Smolmix.Devices;

/// <summary>
/// Wraps a device and records every packet crossing it, in both directions, with a
/// <see cref="PcapWriter"/>. Timestamps come from the injected <see cref="TimeProvider"/>.
/// </summary>
internal sealed class PcapTapDevice : IPacketDevice
{
    private readonly IPacketDevice _inner;
    private readonly PcapWriter _writer;
    private readonly bool _leaveWriterOpen;
    private readonly TimeProvider _timeProvider;
    private int _disposed;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    /// <param name="inner">The device to record; disposed with this one.</param>
    /// <param name="writer">Where packets are recorded.</param>
    /// <param name="leaveWriterOpen">Whether to leave <paramref name="writer"/> open when this device is disposed.</param>
    /// <param name="timeProvider">The clock for timestamps; <see cref="TimeProvider.System"/> by default.</param>
    public PcapTapDevice(IPacketDevice inner, PcapWriter writer, bool leaveWriterOpen = false, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(writer);
        _inner = inner;
        _writer = writer;
        _leaveWriterOpen = leaveWriterOpen;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public int Mtu => _inner.Mtu;

    /// <inheritdoc />
    public ValueTask WriteAsync(ReadOnlyMemory<byte> packet, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        Record(packet.Span);
        return _inner.WriteAsync(packet, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var pending = _inner.ReadAsync(buffer, cancellationToken);
        if (pending.IsCompletedSuccessfully)
        {
            int n = pending.Result;
            if (n > 0)
            {
                Record(buffer.Span[..n]);
            }

            return new ValueTask<int>(n);
        }

        return ReadSlowAsync(pending, buffer);
    }

    private async ValueTask<int> ReadSlowAsync(ValueTask<int> pending, Memory<byte> buffer)
    {
        int n = await pending.ConfigureAwait(false);
        if (n > 0)
        {
            Record(buffer.Span[..n]);
        }

        return n;
    }

    private void Record(ReadOnlySpan<byte> packet)
    {
        try
        {
            _writer.WritePacket(packet, _timeProvider.GetUtcNow());
        }
        catch (ObjectDisposedException)
        {
            // The capture was closed under us (for example during disposal): stop recording, keep forwarding.
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _inner.DisposeAsync().ConfigureAwait(false);
        if (!_leaveWriterOpen)
        {
            _writer.Dispose();
        }
    }
}
