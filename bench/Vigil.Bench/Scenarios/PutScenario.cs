using System.Diagnostics;
using System.Text;

namespace Vigil.Bench.Scenarios;

/// <summary>Write throughput and latency: workers put random keys of a key set as fast as they are acknowledged.</summary>
internal static class PutScenario
{
    public static async Task<ResultRow> RunAsync(BenchOptions options, IReadOnlyList<VigilClient> clients)
    {
        var value = new byte[options.ValueSize];
        Random.Shared.NextBytes(value);
        var keys = Enumerable.Range(0, options.Keys).Select(i => Encoding.UTF8.GetBytes($"/bench/put/{i:D8}")).ToArray();
        var (elapsed, latency) = await ClosedLoop.RunAsync(options.Clients, options.Requests, async (worker, random) =>
        {
            await clients[worker % clients.Count].PutAsync(keys[random.Next(keys.Length)], value);
        });

        return new ResultRow(
            "put",
            $"{options.Clients} clients, {clients.Count} conn, {options.ValueSize} B values, {options.Keys} keys",
            options.Requests / elapsed.TotalSeconds,
            "puts/s",
            latency,
            $"{options.Requests} puts in {elapsed.TotalSeconds:0.0} s");
    }
}
