using System.Globalization;
using System.Text;

namespace Vigil.Bench;

/// <summary>Prints the results as a Markdown table, ready to paste into bench/README.md.</summary>
internal static class ResultTable
{
    public static string Format(string target, IEnumerable<ResultRow> rows)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"| target | scenario | parameters | rate | p50 ms | p99 ms | max ms | notes |");
        text.AppendLine("|---|---|---|---:|---:|---:|---:|---|");
        foreach (var row in rows)
        {
            var latency = row.Latency;
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {target} | {row.Scenario} | {row.Parameters} | {row.Rate:N0} {row.RateUnit} | {Ms(latency?.Percentile(50))} | {Ms(latency?.Percentile(99))} | {Ms(latency?.Max)} | {row.Note} |");
        }

        return text.ToString();
    }

    private static string Ms(double? value) =>
        value is { } v && !double.IsNaN(v) ? v.ToString("0.00", CultureInfo.InvariantCulture) : "-";
}
