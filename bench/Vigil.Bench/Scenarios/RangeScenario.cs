using System.Text;

namespace Vigil.Bench.Scenarios;

/// <summary>Read throughput and latency: workers read single keys of a populated key set (linearizable reads).</summary>
internal static class RangeScenario
{
    public static async Task<ResultRow> RunAsync(BenchOptions options, IReadOnlyList<VigilClient> clients)
    {
        var value = new byte[options.ValueSize];
        var keys = Enumerable.Range(0, options.Keys).Select(i => Encoding.UTF8.GetBytes($"/bench/range/{i:D8}")).ToArray();

        // Populate first (not measured), so every read finds its key.
        await ClosedLoop.RunAsync(options.Clients, keys.Length, async (item, _) => await clients[item % clients.Count].PutAsync(keys[item], value), sequentialItems: true);

        var (elapsed, latency) = await ClosedLoop.RunAsync(options.Clients, options.Requests, async (worker, random) =>
        {
            var result = await clients[worker % clients.Count].GetAsync(keys[random.Next(keys.Length)]);
            if (result.First is null)
            {
                throw new InvalidOperationException("a populated key was not found");
            }
        });

        return new ResultRow(
            "range (1 key)",
            $"{options.Clients} clients, {clients.Count} conn, {options.ValueSize} B values, {options.Keys} keys",
            options.Requests / elapsed.TotalSeconds,
            "reads/s",
            latency,
            $"{options.Requests} reads in {elapsed.TotalSeconds:0.0} s");
    }
}
