using System.Globalization;

namespace Vigil.Protocol.Grpc;

/// <summary>
/// The <c>grpc-timeout</c> header: 1 to 8 ASCII digits followed by a unit, <c>H</c> hours,
/// <c>M</c> minutes, <c>S</c> seconds, <c>m</c> milliseconds, <c>u</c> microseconds or
/// <c>n</c> nanoseconds.
/// </summary>
public static class GrpcTimeout
{
    /// <summary>The largest value the spec allows in front of the unit.</summary>
    public const long MaxValue = 99_999_999;

    private const int MaxDigits = 8;

    // Coarser units in the order Format tries them; nanoseconds are finer than a tick and
    // handled apart.
    private static readonly (char Unit, long Ticks)[] Units =
    [
        ('u', TimeSpan.TicksPerMicrosecond),
        ('m', TimeSpan.TicksPerMillisecond),
        ('S', TimeSpan.TicksPerSecond),
        ('M', TimeSpan.TicksPerMinute),
        ('H', TimeSpan.TicksPerHour),
    ];

    /// <summary>
    /// Parses a header value. Returns false for anything the spec does not allow: empty, more
    /// than 8 digits, a sign, spaces, or an unknown unit.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> value, out TimeSpan timeout)
    {
        timeout = default;
        if (value.Length < 2 || value.Length > MaxDigits + 1)
        {
            return false;
        }

        var digits = value[..^1];
        long amount = 0;
        foreach (var c in digits)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }

            amount = (amount * 10) + (c - '0');
        }

        if (value[^1] == 'n')
        {
            // Round up so that a tiny positive timeout stays positive.
            timeout = TimeSpan.FromTicks((amount + TimeSpan.NanosecondsPerTick - 1) / TimeSpan.NanosecondsPerTick);
            return true;
        }

        var unitTicks = value[^1] switch
        {
            'H' => TimeSpan.TicksPerHour,
            'M' => TimeSpan.TicksPerMinute,
            'S' => TimeSpan.TicksPerSecond,
            'm' => TimeSpan.TicksPerMillisecond,
            'u' => TimeSpan.TicksPerMicrosecond,
            _ => 0,
        };

        // 99,999,999 hours is about 11,400 years, still inside TimeSpan: nothing overflows.
        timeout = TimeSpan.FromTicks(amount * unitTicks);
        return unitTicks != 0;
    }

    /// <summary>
    /// Formats a timeout in the finest unit whose value fits in 8 digits, rounding up so the
    /// peer never sees a shorter deadline than ours. Zero or negative gives <c>0n</c>; callers
    /// with no deadline must not send the header at all.
    /// </summary>
    public static string Format(TimeSpan timeout)
    {
        var ticks = timeout.Ticks;
        if (ticks <= 0)
        {
            return "0n";
        }

        if (ticks <= MaxValue / TimeSpan.NanosecondsPerTick)
        {
            return Compose(ticks * TimeSpan.NanosecondsPerTick, 'n');
        }

        foreach (var (unit, unitTicks) in Units)
        {
            var amount = CeilingDivide(ticks, unitTicks);
            if (amount <= MaxValue)
            {
                return Compose(amount, unit);
            }
        }

        // TimeSpan.MaxValue is about 256 million hours: clamp to the largest legal value.
        return Compose(MaxValue, 'H');
    }

    private static long CeilingDivide(long value, long divisor) => (value / divisor) + (value % divisor == 0 ? 0 : 1);

    private static string Compose(long amount, char unit) =>
        string.Create(CultureInfo.InvariantCulture, $"{amount}{unit}");
}
