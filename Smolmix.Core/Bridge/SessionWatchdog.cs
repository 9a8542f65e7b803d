using Microsoft.Extensions.Logging;

namespace Smolmix.Bridge;

/// <summary>Why a session was given up.</summary>
/// <param name="Reason">In words; never names a destination.</param>
/// <param name="Error">The underlying error, if any.</param>
internal sealed record SessionLoss(string Reason, Exception? Error);

/// <summary>
/// Watches one session on the tunnel's clock: sends a keepalive when nothing was sent for
/// <see cref="TunnelOptions.KeepAliveInterval"/> (exits drop clients after 60 s without data),
/// probes (keepalive echo plus an IPR ping) when sent traffic has gone unanswered for half of
/// <see cref="TunnelOptions.LivenessTimeout"/>, and reports the session lost when it ends (the exit
/// disconnected us, nym-client failed), when nothing at all came back within the liveness timeout,
/// or when the exit, which answered keepalive echoes before, stops answering them.
/// </summary>
internal static class SessionWatchdog
{
    /// <summary>Runs until the session is lost (returns why) or <paramref name="cancellationToken"/> fires (throws).</summary>
    public static async Task<SessionLoss> RunAsync(ExitSession session, NymBridgeDevice device, TunnelOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        TimeSpan shortest = options.KeepAliveInterval < options.LivenessTimeout ? options.KeepAliveInterval : options.LivenessTimeout;
        TimeSpan tick = TimeSpan.FromTicks(Math.Clamp(shortest.Ticks / 4, TimeSpan.FromMilliseconds(10).Ticks, TimeSpan.FromSeconds(1).Ticks));
        using var timer = new PeriodicTimer(tick, options.TimeProvider);
        Task ended = session.Ended;
        LivenessTracker liveness = session.Liveness;
        bool probed = false;
        while (true)
        {
            Task<bool> next = timer.WaitForNextTickAsync(cancellationToken).AsTask();
            if (await Task.WhenAny(next, ended).ConfigureAwait(false) == ended)
            {
                Exception? error = ended.Exception?.GetBaseException();
                return new SessionLoss(error is null ? "the session ended" : "the session failed: " + error.Message, error);
            }

            await next.ConfigureAwait(false);
            if (liveness.SinceLastSent >= options.KeepAliveInterval && device.TrySendKeepAlive())
            {
                BridgeLog.KeepaliveSent(logger);
            }

            TimeSpan unanswered = liveness.Unanswered;
            if (unanswered >= options.LivenessTimeout)
            {
                return new SessionLoss($"nothing came back from the exit for {unanswered.TotalSeconds:0.#} s", new TimeoutException("The exit stopped answering."));
            }

            if (unanswered >= options.LivenessTimeout / 2)
            {
                if (!probed)
                {
                    probed = true;
                    BridgeLog.Probing(logger, unanswered.TotalSeconds);
                    device.TrySendKeepAlive();
                    _ = PingQuietlyAsync(session, logger, cancellationToken);
                }
            }
            else
            {
                probed = false;
            }

            if (liveness.EchoesStopped(options.LivenessTimeout))
            {
                return new SessionLoss("the exit stopped answering keepalives", new TimeoutException("The exit no longer routes for this session."));
            }
        }
    }

    private static async Task PingQuietlyAsync(ExitSession session, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            TimeSpan rtt = await session.PingAsync(cancellationToken).ConfigureAwait(false);
            BridgeLog.ProbeAnswered(logger, rtt);
        }
        catch (Exception ex)
        {
            BridgeLog.ProbeFailed(logger, ex);
        }
    }
}
