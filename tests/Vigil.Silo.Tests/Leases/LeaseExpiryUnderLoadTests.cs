using System.Collections.Concurrent;
using System.Diagnostics;
using Vigil.Client;
using Vigil.Testing;
using Xunit.Abstractions;

namespace Vigil.Silo.Tests.Leases;

/// <summary>
/// Leases expiring while writers keep the sequencer busy: every lease's keys are deleted
/// (each lease at a revision of its own, its keys together), none early, none much late,
/// and the writes go on through the expiries without stalling.
/// </summary>
public sealed class LeaseExpiryUnderLoadTests(ITestOutputHelper output)
{
    private const int Leases = 200;
    private const long Ttl = 3;

    [Fact]
    public async Task LeasesExpireOnTimeWhileWritersRun()
    {
        await using var server = await VigilSiloProcess.StartAsync("load");
        await using var client = new VigilClient(server.ClientUrl);
        var prefix = "expiring/";

        // The watcher records when each key's DELETE arrives and at which revision.
        var deletes = new ConcurrentDictionary<string, (long Revision, long At)>();
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var watching = Task.Run(async () =>
        {
            await foreach (var update in client.WatchPrefixAsync(prefix, new WatchOptions { CreatedNotify = true, NoPut = true }, stop.Token))
            {
                created.TrySetResult();
                foreach (var change in update.Events)
                {
                    Assert.True(deletes.TryAdd(change.KeyValue.KeyString, (change.Revision, Stopwatch.GetTimestamp())), $"{change.KeyValue.KeyString} deleted twice");
                }

                if (deletes.Count == Leases * 2)
                {
                    return;
                }
            }
        });
        await created.Task.WaitAsync(stop.Token);

        // Writers: back-to-back puts on other keys for the whole test.
        using var writing = new CancellationTokenSource();
        var slowest = TimeSpan.Zero;
        var gate = new object();
        var puts = 0;
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !writing.IsCancellationRequested; i++)
            {
                var started = Stopwatch.GetTimestamp();
                await client.PutAsync($"load/{w}/{i % 50}", "v");
                var took = Stopwatch.GetElapsedTime(started);
                lock (gate)
                {
                    slowest = took > slowest ? took : slowest;
                }

                Interlocked.Increment(ref puts);
            }
        })).ToArray();

        var granted = new long[Leases];
        var ids = new long[Leases];
        await Parallel.ForEachAsync(Enumerable.Range(0, Leases), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            var before = Stopwatch.GetTimestamp();
            var lease = await client.LeaseGrantAsync(Ttl);
            granted[i] = before;
            ids[i] = lease.Id;
            await client.TxnAsync(new Txn().Then(
                TxnOp.Put($"{prefix}{i:D3}/a", "v", new PutOptions { Lease = lease.Id }),
                TxnOp.Put($"{prefix}{i:D3}/b", "v", new PutOptions { Lease = lease.Id })));
        });

        await watching.WaitAsync(stop.Token);
        await writing.CancelAsync();
        await Task.WhenAll(writers);

        var lags = new List<double>();
        for (var i = 0; i < Leases; i++)
        {
            var a = deletes[$"{prefix}{i:D3}/a"];
            var b = deletes[$"{prefix}{i:D3}/b"];
            Assert.Equal(a.Revision, b.Revision);
            var lived = Stopwatch.GetElapsedTime(granted[i], Math.Min(a.At, b.At));
            Assert.True(lived >= TimeSpan.FromSeconds(Ttl) - TimeSpan.FromMilliseconds(50), $"lease {i} expired after {lived.TotalMilliseconds:F0} ms, before its TTL");
            lags.Add((lived - TimeSpan.FromSeconds(Ttl)).TotalMilliseconds);
        }

        Assert.Equal(Leases, deletes.Values.Select(d => d.Revision).Distinct().Count());
        lags.Sort();
        output.WriteLine($"{puts} puts meanwhile, slowest {slowest.TotalMilliseconds:F0} ms; expiry lag after grant+TTL: p50 {lags[Leases / 2]:F0} ms, max {lags[^1]:F0} ms");
        Assert.True(lags[^1] < 5000, $"an expiry came {lags[^1]:F0} ms late");
        Assert.True(slowest < TimeSpan.FromSeconds(3), $"a put took {slowest.TotalMilliseconds:F0} ms during the expiries");
        Assert.Empty(await client.LeaseListAsync());
    }
}
