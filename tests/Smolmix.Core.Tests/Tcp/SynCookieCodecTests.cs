using Smolmix.Tcp;

namespace Smolmix.Tests.Tcp;

/// <summary>The SYN cookie codec: what goes in comes out for every MSS index, flag and counter age; the rest is refused.</summary>
public sealed class SynCookieCodecTests
{
    [Fact]
    public void RoundTrips_ForEveryMssIndexAndTimestampFlag_WithinTheLifetime_AcrossTheCounterWrap()
    {
        var rng = new Random(11);
        foreach (uint counter in new uint[] { 0, 1, 200, 254, 255, 256, 257, 100_000 })
        {
            for (int mss = 0; mss < SynCookie.MssTable.Length; mss++)
            {
                foreach (bool ts in new[] { false, true })
                {
                    uint h1 = (uint)rng.NextInt64(), peerIsn = (uint)rng.NextInt64();
                    uint H2(uint c) => c * 2654435761u ^ 0x9e3779b9;
                    uint cookie = SynCookie.Encode(h1, H2(counter), peerIsn, counter, mss, ts);
                    for (uint age = 0; age <= 4; age++)
                    {
                        bool fresh = SynCookie.TryGetCounter(cookie, h1, peerIsn, counter + age, out uint c);
                        Assert.Equal(age <= SynCookie.MaxAgeTicks, fresh);
                        if (!fresh)
                        {
                            continue;
                        }
                        Assert.Equal(counter, c);
                        Assert.True(SynCookie.TryDecodeData(cookie, h1, H2(c), peerIsn, out int gotMss, out bool gotTs));
                        Assert.Equal((mss, ts), (gotMss, gotTs));
                    }

                    // Another tuple (H1) or another hash for the counter (H2): refused but for a 8 in 2^24 chance.
                    Assert.False(SynCookie.TryGetCounter(cookie, h1 + 0x0100_0000u * 7, peerIsn, counter, out _)
                        && SynCookie.TryDecodeData(cookie, h1 + 0x0100_0000u * 7, H2(counter), peerIsn, out _, out _));
                    Assert.False(SynCookie.TryDecodeData(cookie, h1, H2(counter) + 12345, peerIsn, out _, out _));
                }
            }
        }
    }

    [Fact]
    public void MssIndex_PicksTheLargestTableEntryThePeerAllows()
    {
        Assert.Equal(0, SynCookie.MssIndex(0));
        Assert.Equal(0, SynCookie.MssIndex(100));
        Assert.Equal(0, SynCookie.MssIndex(1219));
        Assert.Equal(1, SynCookie.MssIndex(1220));
        Assert.Equal(1, SynCookie.MssIndex(1300));
        Assert.Equal(2, SynCookie.MssIndex(1380));
        Assert.Equal(3, SynCookie.MssIndex(1460));
        Assert.Equal(3, SynCookie.MssIndex(9000));
    }

    [Fact]
    public void TsVal_CarriesTheOptions_NeverRunsAheadOfTheClock_AndAnEchoIsCheckedForAge()
    {
        foreach (uint now in new uint[] { 0, 63, 64, 100, 1_000_000, uint.MaxValue })
        {
            foreach (int ws in new[] { -1, 0, 7, 14 })
            {
                foreach (bool sack in new[] { false, true })
                {
                    uint ts = SynCookie.EncodeTsVal(now, ws, sack);
                    Assert.InRange((int)(now - ts), 0, 127);
                    Assert.True(SynCookie.TryDecodeTsEcr(ts, now + 500, out int gotWs, out bool gotSack));
                    Assert.Equal((ws, sack), (gotWs, gotSack));
                    Assert.False(SynCookie.TryDecodeTsEcr(ts, now + (uint)(SynCookie.LifetimeUs / 1000) + 200, out _, out _));
                    Assert.False(SynCookie.TryDecodeTsEcr(ts + 1000, now, out _, out _));
                    Assert.False(SynCookie.TryDecodeTsEcr(ts | 0x20, now + 500, out _, out _));
                }
            }
        }
    }
}
