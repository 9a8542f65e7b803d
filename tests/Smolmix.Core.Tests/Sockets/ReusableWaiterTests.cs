namespace Smolmix.Tests.Sockets;

public class ReusableWaiterTests
{
    [Fact]
    public async Task WakeUp_CompletesTheArmedWait_Once()
    {
        var w = new ReusableWaiter();
        var gate = new object();
        ValueTask<bool> wait;
        lock (gate)
        {
            wait = w.Arm(CancellationToken.None);
        }
        Assert.False(wait.IsCompleted);
        lock (gate)
        {
            Assert.True(w.TrySetResult(true));
            Assert.False(w.TrySetResult(false)); // nothing armed any more
        }
        Assert.True(await wait);
    }

    [Fact]
    public void Arm_WhileArmed_Throws()
    {
        var w = new ReusableWaiter();
        _ = w.Arm(CancellationToken.None);
        Assert.Throws<InvalidOperationException>(() => w.Arm(CancellationToken.None));
    }

    [Fact]
    public async Task ReleaseOnResult_FreesTheWaiterWhenTheResultIsTaken()
    {
        var w = new ReusableWaiter(releaseOnResult: true);
        Assert.True(w.TryAcquire());
        var wait = w.Arm(CancellationToken.None);
        Assert.False(w.TryAcquire());
        w.TrySetResult(true);
        Assert.True(await wait);
        Assert.True(w.TryAcquire());
    }

    [Fact]
    public async Task WakeUpRacingCancellation_EitherWins_ThenTheWaiterIsReusable()
    {
        // Thousands of waits, each woken and cancelled at the same moment from two threads: every wait ends once,
        // with true or OperationCanceledException, and the next Arm never sees the previous wait's token.
        var w = new ReusableWaiter();
        var gate = new object();
        int woken = 0, cancelled = 0;
        for (int i = 0; i < 5_000; i++)
        {
            using var cts = new CancellationTokenSource();
            ValueTask<bool> wait;
            lock (gate)
            {
                wait = w.Arm(cts.Token);
            }
            using var start = new Barrier(2);
            var canceller = Task.Run(() =>
            {
                start.SignalAndWait();
                cts.Cancel();
            });
            start.SignalAndWait();
            lock (gate)
            {
                w.TrySetResult(true);
            }
            try
            {
                Assert.True(await wait.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
                woken++;
            }
            catch (OperationCanceledException)
            {
                cancelled++;
            }
            await canceller;
        }
        Assert.Equal(5_000, woken + cancelled);
        Assert.False(w.IsArmed);
    }
}
