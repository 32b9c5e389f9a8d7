using System.Diagnostics;

namespace Vigil.Bench.Scenarios;

/// <summary>
/// Runs <c>requests</c> operations on <c>workers</c> concurrent workers, each starting its
/// next operation when the previous one completes, and records each operation's latency.
/// </summary>
internal static class ClosedLoop
{
    /// <param name="workers">Concurrent workers.</param>
    /// <param name="requests">Operations in all.</param>
    /// <param name="operation">One operation: given the worker's index (or, with
    /// <paramref name="sequentialItems"/>, the item's index) and the worker's random source.</param>
    /// <param name="sequentialItems">Pass item indexes 0..requests-1 instead of the worker index.</param>
    public static async Task<(TimeSpan Elapsed, LatencySample Latency)> RunAsync(
        int workers, int requests, Func<int, Random, Task> operation, bool sequentialItems = false)
    {
        var next = -1;
        var samples = new LatencySample[workers];
        var started = Stopwatch.GetTimestamp();
        var tasks = new Task[workers];
        for (var w = 0; w < workers; w++)
        {
            var worker = w;
            samples[worker] = new LatencySample((requests / workers) + 1);
            tasks[worker] = Task.Run(async () =>
            {
                var random = new Random(worker);
                var sample = samples[worker];
                int item;
                while ((item = Interlocked.Increment(ref next)) < requests)
                {
                    var begin = Stopwatch.GetTimestamp();
                    await operation(sequentialItems ? item : worker, random);
                    sample.Add(Stopwatch.GetTimestamp() - begin);
                }
            });
        }

        await Task.WhenAll(tasks);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var all = new LatencySample(requests);
        foreach (var sample in samples)
        {
            all.AddRange(sample);
        }

        return (elapsed, all);
    }
}
