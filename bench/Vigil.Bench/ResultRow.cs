namespace Vigil.Bench;

/// <summary>One line of the result table.</summary>
/// <param name="Scenario">What was measured.</param>
/// <param name="Parameters">The sizes it ran with.</param>
/// <param name="Rate">Operations (or delivered events) per second.</param>
/// <param name="RateUnit">What <paramref name="Rate"/> counts.</param>
/// <param name="Latency">The latencies, or null when the scenario measures only a rate.</param>
/// <param name="Note">Anything else worth a column: totals, elapsed time.</param>
internal sealed record ResultRow(string Scenario, string Parameters, double Rate, string RateUnit, LatencySample? Latency, string Note);
