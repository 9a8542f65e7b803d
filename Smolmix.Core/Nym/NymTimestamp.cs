namespace Smolmix.Nym;

/// <summary>
/// A <c>time::OffsetDateTime</c> exactly as bincode carries it: calendar year, ordinal day,
/// clock time with nanoseconds, and UTC offset, all expressed in the value's own offset.
/// Nanosecond precision is kept (a <see cref="DateTimeOffset"/> only holds 100 ns ticks).
/// </summary>
/// <param name="Year">Calendar year, −9999 to 9999.</param>
/// <param name="Ordinal">Day of the year, 1 to 365 (366 in leap years).</param>
/// <param name="Hour">0 to 23.</param>
/// <param name="Minute">0 to 59.</param>
/// <param name="Second">0 to 59.</param>
/// <param name="Nanosecond">0 to 999 999 999.</param>
/// <param name="OffsetHours">UTC offset hours, −25 to 25.</param>
/// <param name="OffsetMinutes">UTC offset minutes, −59 to 59, same sign as the hours.</param>
/// <param name="OffsetSeconds">UTC offset seconds, −59 to 59, same sign as the minutes.</param>
internal readonly record struct NymTimestamp(
    int Year,
    ushort Ordinal,
    byte Hour,
    byte Minute,
    byte Second,
    uint Nanosecond,
    sbyte OffsetHours,
    sbyte OffsetMinutes,
    sbyte OffsetSeconds)
{
    /// <summary>The current UTC time from <paramref name="timeProvider"/>.</summary>
    public static NymTimestamp UtcNow(TimeProvider timeProvider) => FromDateTimeOffset(timeProvider.GetUtcNow());

    /// <summary>Converts a <see cref="DateTimeOffset"/>, keeping its offset.</summary>
    public static NymTimestamp FromDateTimeOffset(DateTimeOffset value)
    {
        DateTime local = value.DateTime;
        TimeSpan offset = value.Offset;
        return new NymTimestamp(
            local.Year,
            (ushort)local.DayOfYear,
            (byte)local.Hour,
            (byte)local.Minute,
            (byte)local.Second,
            (uint)(local.Ticks % TimeSpan.TicksPerSecond * 100),
            (sbyte)offset.Hours,
            (sbyte)offset.Minutes,
            (sbyte)offset.Seconds);
    }

    /// <summary>Converts to a <see cref="DateTimeOffset"/>, truncating to 100 ns.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The year is outside 1 to 9999 or the offset is beyond ±14 h.</exception>
    public DateTimeOffset ToDateTimeOffset()
    {
        var date = new DateTime(Year, 1, 1, Hour, Minute, Second, DateTimeKind.Unspecified)
            .AddDays(Ordinal - 1)
            .AddTicks(Nanosecond / 100);
        return new DateTimeOffset(date, new TimeSpan(OffsetHours, OffsetMinutes, OffsetSeconds));
    }

    /// <summary>
    /// Validates and normalises decoded components as the <c>time</c> crate does; throws
    /// <see cref="NymProtocolException"/> when a component is out of range.
    /// </summary>
    internal static NymTimestamp Create(
        int year, ushort ordinal, byte hour, byte minute, byte second, uint nanosecond, sbyte offsetHours, sbyte offsetMinutes, sbyte offsetSeconds)
    {
        if (year is < -9999 or > 9999)
        {
            throw new NymProtocolException($"Timestamp year {year} is out of range.");
        }

        int daysInYear = IsLeapYear(year) ? 366 : 365;
        if (ordinal < 1 || ordinal > daysInYear)
        {
            throw new NymProtocolException($"Timestamp ordinal day {ordinal} is out of range for year {year}.");
        }

        if (hour > 23 || minute > 59 || second > 59 || nanosecond >= 1_000_000_000)
        {
            throw new NymProtocolException("Timestamp clock time is out of range.");
        }

        if (offsetHours is < -25 or > 25 || offsetMinutes is < -59 or > 59 || offsetSeconds is < -59 or > 59)
        {
            throw new NymProtocolException("Timestamp UTC offset is out of range.");
        }

        // The time crate gives the smaller components the sign of the largest non-zero one.
        if (offsetHours != 0)
        {
            int sign = Math.Sign(offsetHours);
            offsetMinutes = (sbyte)(sign * Math.Abs(offsetMinutes));
            offsetSeconds = (sbyte)(sign * Math.Abs(offsetSeconds));
        }
        else if (offsetMinutes != 0)
        {
            offsetSeconds = (sbyte)(Math.Sign(offsetMinutes) * Math.Abs(offsetSeconds));
        }

        return new NymTimestamp(year, ordinal, hour, minute, second, nanosecond, offsetHours, offsetMinutes, offsetSeconds);
    }

    private static bool IsLeapYear(int year) => year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}
