using System.Diagnostics;

namespace Vigil.Bench;

/// <summary>Latencies in Stopwatch ticks, summarized as percentiles in milliseconds.</summary>
internal sealed class LatencySample
{
    private readonly List<long> _ticks;

    public LatencySample(int capacity = 1024)
    {
        _ticks = new List<long>(capacity);
    }

    public int Count => _ticks.Count;

    public void Add(long ticks) => _ticks.Add(ticks);

    public void AddRange(LatencySample other) => _ticks.AddRange(other._ticks);

    /// <summary>The <paramref name="percentile"/> (0-100) in milliseconds; NaN when empty.</summary>
    public double Percentile(double percentile)
    {
        if (_ticks.Count == 0)
        {
            return double.NaN;
        }

        _ticks.Sort();
        var index = (int)Math.Ceiling(percentile / 100 * _ticks.Count) - 1;
        return ToMilliseconds(_ticks[Math.Clamp(index, 0, _ticks.Count - 1)]);
    }

    public double Max => _ticks.Count == 0 ? double.NaN : ToMilliseconds(_ticks.Max());

    public static double ToMilliseconds(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}
