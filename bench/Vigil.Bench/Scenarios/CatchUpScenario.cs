using System.Diagnostics;
using System.Text;

namespace Vigil.Bench.Scenarios;

/// <summary>
/// Catch-up: after writing a history of H revisions, W watchers on one client watch every
/// key from revision 1 and read the whole history. Measures the events delivered per second
/// over all watchers and how long each watcher took to reach the last revision.
/// </summary>
internal static class CatchUpScenario
{
    public static async Task<ResultRow> RunAsync(BenchOptions options, IReadOnlyList<VigilClient> clients)
    {
        var value = new byte[options.ValueSize];
        var keys = Enumerable.Range(0, options.Keys).Select(i => Encoding.UTF8.GetBytes($"/bench/history/{i:D8}")).ToArray();
        await ClosedLoop.RunAsync(options.Clients, options.History, async (item, _) =>
            await clients[item % clients.Count].PutAsync(keys[item % keys.Length], value), sequentialItems: true);
        var last = (await clients[0].GetAsync("/bench/history/")).Revision;

        await using var watchClient = options.CreateClient();
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        var started = Stopwatch.GetTimestamp();
        var counts = new long[options.CatchUpWatchers];
        var durations = new long[options.CatchUpWatchers];
        var watchers = Enumerable.Range(0, options.CatchUpWatchers).Select(w => Task.Run(async () =>
        {
            await foreach (var update in watchClient.WatchRangeAsync("\0", "\0", new WatchOptions { StartRevision = 1 }, stop.Token))
            {
                counts[w] += update.Events.Count;
                if (update.Events.Count > 0 && update.Events[^1].Revision >= last)
                {
                    durations[w] = Stopwatch.GetTimestamp() - started;
                    return;
                }
            }
        })).ToArray();
        await Task.WhenAll(watchers);
        var elapsed = Stopwatch.GetElapsedTime(started);

        var perWatcher = new LatencySample(durations.Length);
        foreach (var duration in durations)
        {
            perWatcher.Add(duration);
        }

        var events = counts.Sum();
        return new ResultRow(
            "catch-up from revision 1",
            $"{options.CatchUpWatchers} watchers x {counts[0]} events (revisions 1..{last}), 1 stream",
            events / elapsed.TotalSeconds,
            "events/s",
            perWatcher,
            $"latency = time for a watcher to reach revision {last}; all done in {elapsed.TotalSeconds:0.0} s");
    }
}
