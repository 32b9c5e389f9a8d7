using Orleans.Configuration;
using Orleans.TestingHost;
using Vigil.Client;
using Vigil.Grains.Tests.Harness;
using Vigil.Grains.Tests.Storage;
using Vigil.Orleans.Client;
using Vigil.Samples.Grains;
using Vigil.Testing;

namespace Vigil.Grains.Tests.Subscriptions;

/// <summary>
/// Three silos over one PostgreSQL database (TestingHost, in this process): subscriptions of
/// an Orleans client and subscriber grains (<see cref="PrefixRecorderGrain"/>) while writers
/// on every silo run and one silo is killed. Every stream must be complete, ordered and
/// unique, judged against the store's own history.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class SiloFailoverTests(PostgresFixture postgres)
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Subscriptions_and_subscriber_grains_survive_a_killed_silo_complete_ordered_and_unique()
    {
        await using var cluster = await VigilTestCluster.StartAsync(
            silos: 3, store: await postgres.CreateDatabaseAsync("subscriptions"), configure: builder => builder.AddSiloBuilderConfigurator<FastDeathDetection>());
        var client = new OrleansVigilClient(cluster.Cluster.Client);
        var start = (await client.PutAsync("/f/seed", "0")).Revision;

        // Keys, prefixes and ranges, from now and from the past.
        var selections = new List<(string Name, Func<string, bool> Selects, Func<IAsyncEnumerable<WatchUpdate>> Open)>();
        for (var i = 0; i < 10; i++)
        {
            var key = $"/f/k{i % 5}";
            selections.Add(($"key {key}", k => k == key, () => client.WatchAsync(key, new WatchOptions { StartRevision = start })));
            var prefix = $"/f/k{i % 3}";
            selections.Add(($"prefix {prefix}", k => k.StartsWith(prefix, StringComparison.Ordinal), () => client.WatchPrefixAsync(prefix, new WatchOptions { StartRevision = start })));
            selections.Add(("range /f/k1../f/k4", k => string.CompareOrdinal(k, "/f/k1") >= 0 && string.CompareOrdinal(k, "/f/k4") < 0, () => client.WatchRangeAsync("/f/k1", "/f/k4", new WatchOptions { StartRevision = start })));
        }

        var recorders = Enumerable.Range(0, 3).Select(i => cluster.Grains.GetGrain<IPrefixRecorderGrain>("r" + i)).ToArray();
        await Task.WhenAll(recorders.Select((r, i) => r.StartAsync($"/f/k{i}", start)));

        using var stop = new CancellationTokenSource();
        var seen = selections.Select(_ => new List<WatchEvent>()).ToArray();
        var readers = selections.Select((s, i) => Task.Run(async () =>
        {
            try
            {
                await foreach (var update in s.Open().WithCancellation(stop.Token))
                {
                    lock (seen[i])
                    {
                        seen[i].AddRange(update.Events);
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        })).ToArray();

        // The silo to kill: one that hosts a recorder's subscription (the primary, which holds
        // the test cluster's membership, stays).
        var hosts = new HashSet<string>();
        foreach (var i in Enumerable.Range(0, recorders.Length))
        {
            var status = await WaitForAttachedAsync(cluster.Grains.GetGrain<GrainInterfaces.Watch.IWatcherGrain>("recorder/r" + i));
            hosts.Add(status.Silo);
        }

        var victim = Enumerable.Range(1, 2).FirstOrDefault(i => hosts.Contains(cluster.Cluster.Silos[i].Name), 2);

        // Writers through every silo's key space; the victim is killed half way.
        var nodes = Enumerable.Range(0, 3).Select(cluster.Node).ToArray();
        var writers = nodes.Select((node, s) => Task.Run(async () =>
        {
            for (var n = 0; n < 40; n++)
            {
                if (s == victim && n >= 20)
                {
                    return;
                }

                await WriteWithRetryAsync(client, $"/f/k{n % 5}", $"{s}-{n}");
            }
        })).ToArray();
        await Task.Delay(TimeSpan.FromSeconds(1));
        await cluster.Cluster.KillSiloAsync(cluster.Cluster.Silos[victim]);
        await Task.WhenAll(writers);
        var end = (await client.PutAsync("/f/end", "x")).Revision;

        // The store's own history is the truth.
        var truth = new List<WatchEvent>();
        await foreach (var update in client.WatchPrefixAsync("/f/", new WatchOptions { StartRevision = start }))
        {
            truth.AddRange(update.Events);
            if (update.Revision >= end)
            {
                break;
            }
        }

        for (var i = 0; i < selections.Count; i++)
        {
            var expected = truth.Where(e => e.Revision >= start && selections[i].Selects(e.KeyValue.KeyString)).Select(Describe).ToList();
            var reader = readers[i];
            await WaitUntilAsync(
                () => { lock (seen[i]) { return seen[i].Count >= expected.Count; } },
                () => $"{selections[i].Name}: {seen[i].Count} of {expected.Count} events; reader {reader.Status} {reader.Exception?.GetBaseException()}");
            await Task.Delay(200);
            lock (seen[i])
            {
                Assert.Equal(expected, seen[i].Select(Describe));
            }
        }

        for (var i = 0; i < recorders.Length; i++)
        {
            var prefix = $"/f/k{i}";
            var expected = truth.Where(e => e.KeyValue.KeyString.StartsWith(prefix, StringComparison.Ordinal)).Select(e => $"{e.Revision}:{e.KeyValue.KeyString}").ToList();
            var recorder = recorders[i];
            var subscription = cluster.Grains.GetGrain<GrainInterfaces.Watch.IWatcherGrain>("recorder/r" + i);
            await WaitUntilAsync(
                async () => (await recorder.GetRecordedAsync()).Count >= expected.Count,
                () => $"recorder {prefix}: {recorder.GetRecordedAsync().Result.Count} of {expected.Count} changes, subscription {subscription.GetStatusAsync().Result}, expected {string.Join(",", expected)}, got {string.Join(",", recorder.GetRecordedAsync().Result.Select(c => c.Revision))}");
            Assert.Equal(expected, (await recorder.GetRecordedAsync()).Select(c => $"{c.Revision}:{c.Key}"));
        }

        await stop.CancelAsync();
        await Task.WhenAll(readers);
    }

    private static async Task<GrainInterfaces.Watch.WatcherStatus> WaitForAttachedAsync(GrainInterfaces.Watch.IWatcherGrain subscription)
    {
        GrainInterfaces.Watch.WatcherStatus? status = null;
        await WaitUntilAsync(
            async () => (status = await subscription.GetStatusAsync()).State is not GrainInterfaces.Watch.WatcherState.Detached,
            () => $"the subscription never attached: {status}");
        return status!;
    }

    private static string Describe(WatchEvent change) => $"{change.Revision}:{change.Type}:{change.KeyValue.KeyString}:{change.KeyValue.ValueString}";

    /// <summary>A write that failed in the failover is sent again; if it had committed, both are in history, which is the truth.</summary>
    private static async Task WriteWithRetryAsync(IVigilClient client, string key, string value)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await client.PutAsync(key, value);
                return;
            }
            catch (UnavailableException) when (attempt < 100)
            {
                await Task.Delay(200);
            }
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, Func<string> describe) => await WaitUntilAsync(() => Task.FromResult(condition()), describe);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, Func<string> describe)
    {
        var deadline = DateTime.UtcNow + Limit;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"not complete within {Limit}: {describe()}");
            await Task.Delay(200);
        }
    }

    private sealed class FastDeathDetection : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder) => siloBuilder.Configure<ClusterMembershipOptions>(ClusterSilo.TuneMembership);
    }
}
