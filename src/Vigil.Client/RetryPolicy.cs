namespace Vigil.Client;

/// <summary>
/// How often and how fast a failed attempt is repeated. The delay before attempt n + 1 is
/// <see cref="InitialBackoff"/> × <see cref="BackoffMultiplier"/>^(n − 1), capped at
/// <see cref="MaxBackoff"/>, with ±20 % jitter so that many clients do not retry in step.
/// </summary>
public sealed class RetryPolicy
{
    /// <summary>Attempts in all, the first included; 1 means no retry. Default 10.</summary>
    public int MaxAttempts { get; init; } = 10;

    /// <summary>Delay before the first retry. Default 50 ms.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Longest delay between attempts. Default 2 seconds.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Growth of the delay per attempt. Default 2.</summary>
    public double BackoffMultiplier { get; init; } = 2;

    /// <summary>
    /// The delay before attempt <paramref name="attempt"/> + 1, after <paramref name="attempt"/>
    /// attempts failed (1-based).
    /// </summary>
    public TimeSpan GetBackoff(int attempt)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        var exponent = Math.Min(attempt - 1, 64);
        var ticks = Math.Min(InitialBackoff.Ticks * Math.Pow(BackoffMultiplier, exponent), MaxBackoff.Ticks);
        var jitter = 0.8 + (Random.Shared.NextDouble() * 0.4);
        return TimeSpan.FromTicks((long)Math.Max(0, ticks * jitter));
    }

    internal void Validate(string name)
    {
        if (MaxAttempts < 1)
        {
            throw new ArgumentException($"{name}.MaxAttempts must be at least 1.");
        }

        if (InitialBackoff < TimeSpan.Zero || MaxBackoff < TimeSpan.Zero || BackoffMultiplier < 1)
        {
            throw new ArgumentException($"{name}: backoffs must not be negative and the multiplier must be at least 1.");
        }
    }
}
