namespace Smolmix.Nym;

/// <summary>Settings for <see cref="IprSession"/>.</summary>
internal sealed record IprSessionOptions
{
    /// <summary>The MTU assumed when the exit does not report one (pre-v10 exits).</summary>
    public const ushort DefaultFallbackMtu = 1420;

    /// <summary>Versions to try, in order. Defaults to v10, then v9, then v8.</summary>
    public IReadOnlyList<byte> Versions { get; init; } = [IprVersion.V10, IprVersion.V9, IprVersion.V8];

    /// <summary>How long to wait for a v10 connect reply before falling back.</summary>
    public TimeSpan V10ConnectTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long to wait for a v9 connect reply before falling back.</summary>
    public TimeSpan V9ConnectTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long to wait for a v8 connect reply.</summary>
    public TimeSpan V8ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Bound on ping, health and disconnect round trips.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Reply SURBs attached to the Open frame and every control request.</summary>
    public uint ControlReplySurbs { get; init; } = 10;

    /// <summary>Reply SURBs attached to each connect request; null uses <see cref="ControlReplySurbs"/>.</summary>
    public uint? ConnectReplySurbs { get; init; }

    /// <summary>
    /// Called on the receive loop with the length of every message from the exit that belongs to
    /// this session (each consumed reply SURBs at the exit). Must be quick and must not throw.
    /// </summary>
    public Action<int>? MessageObserver { get; init; }

    /// <summary>Reply SURBs attached to every data message (the exit asks for more when it runs low).</summary>
    public uint DataReplySurbs { get; init; } = 2;

    /// <summary>How long the exit may hold return packets while filling a bundle; null leaves the exit's default (20 ms).</summary>
    public ulong? BufferTimeoutMs { get; init; }

    /// <summary>Whether to send an LP Open frame before the first framed connect.</summary>
    public bool SendOpenFrame { get; init; } = true;

    /// <summary>The MTU used when the exit does not report one.</summary>
    public ushort FallbackMtu { get; init; } = DefaultFallbackMtu;

    /// <summary>How many received IP packets may wait unread; the oldest are dropped beyond this.</summary>
    public int ReceiveQueueCapacity { get; init; } = 1024;

    /// <summary>The connect timeout for <paramref name="version"/>.</summary>
    public TimeSpan ConnectTimeoutFor(byte version) => version switch
    {
        IprVersion.V10 => V10ConnectTimeout,
        IprVersion.V9 => V9ConnectTimeout,
        _ => V8ConnectTimeout,
    };

    /// <summary>Checks that every setting is in range.</summary>
    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Versions);
        if (Versions.Count == 0 || Versions.Any(v => !IprVersion.IsSupported(v)))
        {
            throw new ArgumentException("Versions must be a non-empty list of 8, 9 and 10.", nameof(Versions));
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(V10ConnectTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(V9ConnectTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(V8ConnectTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RequestTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(ReceiveQueueCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(FallbackMtu, (ushort)576);
    }
}
