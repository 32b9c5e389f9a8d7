using Vigil.Protocol.Grpc;

namespace Vigil.Protocol.Tests.Grpc;

public sealed class GrpcTimeoutTests
{
    [Theory]
    [InlineData("1H", 3_600_000_000_000L)]
    [InlineData("2M", 120_000_000_000L)]
    [InlineData("5S", 5_000_000_000L)]
    [InlineData("100m", 100_000_000L)]
    [InlineData("250u", 250_000L)]
    [InlineData("1000n", 1_000L)]
    [InlineData("0S", 0L)]
    [InlineData("00000001S", 1_000_000_000L)]
    [InlineData("99999999m", 99_999_999_000_000L)]
    public void TryParse_ValidValues(string value, long nanoseconds)
    {
        Assert.True(GrpcTimeout.TryParse(value, out var timeout));
        Assert.Equal(TimeSpan.FromTicks(nanoseconds / 100), timeout);
    }

    [Fact]
    public void TryParse_NanosecondsRoundUpToATick()
    {
        Assert.True(GrpcTimeout.TryParse("1n", out var timeout));
        Assert.Equal(TimeSpan.FromTicks(1), timeout);
    }

    [Fact]
    public void TryParse_LargestHours_DoesNotOverflow()
    {
        Assert.True(GrpcTimeout.TryParse("99999999H", out var timeout));
        Assert.Equal(TimeSpan.FromHours(99_999_999), timeout);
    }

    [Theory]
    [InlineData("")]
    [InlineData("S")]
    [InlineData("5")]
    [InlineData("123456789S")]
    [InlineData("5s")]
    [InlineData("5h")]
    [InlineData("5X")]
    [InlineData("-5S")]
    [InlineData("+5S")]
    [InlineData(" 5S")]
    [InlineData("5 S")]
    [InlineData("1.5S")]
    [InlineData("٣S")]
    public void TryParse_InvalidValues(string value)
    {
        Assert.False(GrpcTimeout.TryParse(value, out _));
    }

    [Theory]
    [InlineData(0L, "0n")]
    [InlineData(-5L, "0n")]
    [InlineData(1L, "100n")]
    [InlineData(999_999L, "99999900n")]
    [InlineData(1_000_000L, "100000u")]
    [InlineData(1_000_001L, "100001u")]
    [InlineData(50_000_000L, "5000000u")]
    [InlineData(TimeSpan.TicksPerSecond * 1000, "1000000m")]
    [InlineData(TimeSpan.TicksPerSecond * 100_000, "100000S")]
    [InlineData(TimeSpan.TicksPerDay * 365, "31536000S")]
    [InlineData(TimeSpan.TicksPerDay * 365 * 10, "5256000M")]
    [InlineData(TimeSpan.TicksPerDay * 365 * 1000, "8760000H")]
    public void Format_PicksTheFinestUnitThatFits(long ticks, string expected)
    {
        Assert.Equal(expected, GrpcTimeout.Format(TimeSpan.FromTicks(ticks)));
    }

    [Fact]
    public void Format_RoundsUp()
    {
        // 100,000,000.1 µs does not fit in 8 digits of microseconds; in milliseconds it is
        // 100,000.0001 and must round up so the deadline is never shortened.
        Assert.Equal("100001m", GrpcTimeout.Format(TimeSpan.FromTicks((100_000_000L * 10) + 1)));
    }

    [Fact]
    public void Format_MaxValue_Clamps()
    {
        Assert.Equal("99999999H", GrpcTimeout.Format(TimeSpan.MaxValue));
    }

    [Theory]
    [InlineData(1L)]
    [InlineData(12_345L)]
    [InlineData(TimeSpan.TicksPerMillisecond * 1500)]
    [InlineData(TimeSpan.TicksPerSecond * 5)]
    [InlineData(TimeSpan.TicksPerHour * 30)]
    public void FormatThenParse_NeverShortens(long ticks)
    {
        var timeout = TimeSpan.FromTicks(ticks);
        Assert.True(GrpcTimeout.TryParse(GrpcTimeout.Format(timeout), out var parsed));
        Assert.True(parsed >= timeout);
        Assert.True(parsed - timeout < TimeSpan.FromTicks(Math.Max(1, ticks / 1_000_000) + 1));
    }
}
