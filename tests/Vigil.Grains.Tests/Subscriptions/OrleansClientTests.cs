using Vigil.Client;
using Vigil.GrainInterfaces.Watch;
using Vigil.Grains.Tests.Harness;
using Vigil.Orleans.Client;

namespace Vigil.Grains.Tests.Subscriptions;

/// <summary>
/// <see cref="OrleansVigilClient"/> against one real silo (TestingHost, SQLite store): KV,
/// watches through watcher grains, errors, compaction, progress, durable subscriptions,
/// parking and the informer.
/// </summary>
public sealed class OrleansClientTests : IAsyncLifetime
{
    private VigilTestCluster? _cluster;

    private VigilTestCluster Cluster => _cluster ?? throw new InvalidOperationException("not started");

    private IVigilClient Client => new OrleansVigilClient(Cluster.Cluster.Client);

    public async Task InitializeAsync() => _cluster = await VigilTestCluster.StartAsync();

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    [Fact]
    public async Task Kv_calls_answer_as_over_grpc_with_the_same_errors()
    {
        var client = Client;
        var first = await client.PutAsync("/kv/a", "1");
        var second = await client.PutAsync("/kv/a", "2", new PutOptions { PrevKv = true });
        Assert.Equal(first.Revision + 1, second.Revision);
        Assert.Equal("1", second.PreviousKeyValue!.ValueString);
        Assert.Equal("2", (await client.GetAsync("/kv/a")).First!.ValueString);
        Assert.Equal("1", (await client.GetAsync("/kv/a", new GetOptions { Revision = first.Revision })).First!.ValueString);

        var txn = await client.TxnAsync(new Txn().If(Compare.Value("/kv/a") == "2").Then(TxnOp.Put("/kv/b", "3")));
        Assert.True(txn.Succeeded);
        Assert.Equal(2, (await client.GetPrefixAsync("/kv/")).Count);
        Assert.Equal(2, (await client.DeletePrefixAsync("/kv/")).Deleted);

        var future = await Assert.ThrowsAsync<FutureRevisionException>(() => client.GetAsync("/kv/a", new GetOptions { Revision = 1000 }));
        Assert.Equal("etcdserver: mvcc: required revision is a future revision", future.Message);
        await client.CompactAsync(second.Revision);
        var compacted = await Assert.ThrowsAsync<CompactedException>(() => client.GetAsync("/kv/a", new GetOptions { Revision = first.Revision }));
        Assert.Equal("etcdserver: mvcc: required revision has been compacted", compacted.Message);
    }

    [Fact]
    public async Task A_watch_from_a_past_revision_replays_history_then_follows_live_with_filters_and_prev_kv()
    {
        var client = Client;
        var first = await client.PutAsync("/w/a", "1");
        await client.PutAsync("/other", "x");
        await client.PutAsync("/w/a", "2");
        await client.DeleteAsync("/w/a");

        await using var all = new UpdateReader(client.WatchPrefixAsync("/w/", new WatchOptions { StartRevision = first.Revision, PrevKv = true }));
        await using var noDeletes = new UpdateReader(client.WatchPrefixAsync("/w/", new WatchOptions { StartRevision = first.Revision, NoDelete = true }));
        var history = await all.EventsAsync(3);
        Assert.Equal([WatchEventType.Put, WatchEventType.Put, WatchEventType.Delete], history.Select(e => e.Type));
        Assert.Equal("1", history[1].PreviousKeyValue!.ValueString);
        Assert.Equal("2", history[2].PreviousKeyValue!.ValueString);

        var live = await client.PutAsync("/w/b", "3");
        var next = await all.EventsAsync(1);
        Assert.Equal(live.Revision, next[0].Revision);
        Assert.Equal(["1", "2", "3"], (await noDeletes.EventsAsync(3)).Select(e => e.KeyValue.ValueString));
    }

    [Fact]
    public async Task A_watch_from_a_compacted_revision_ends_with_compacted_and_the_compact_revision()
    {
        var client = Client;
        var first = await client.PutAsync("/c/a", "1");
        var second = await client.PutAsync("/c/a", "2");
        await client.CompactAsync(second.Revision, physical: true);

        await using var watch = new UpdateReader(client.WatchAsync("/c/a", new WatchOptions { StartRevision = first.Revision }));
        var error = await Assert.ThrowsAsync<CompactedException>(() => watch.NextAsync());
        Assert.Equal(second.Revision, error.CompactRevision);
        Assert.Equal("etcdserver: mvcc: required revision has been compacted", error.Message);
    }

    [Fact]
    public async Task A_progress_request_answers_every_watch_with_a_revision_its_events_cover()
    {
        var client = Client;
        await using var watch = new UpdateReader(client.WatchAsync("/p/a", new WatchOptions { CreatedNotify = true }));
        Assert.True((await watch.NextAsync()).IsCreated);
        var put = await client.PutAsync("/p/a", "1");
        await client.PutAsync("/p/other", "2");
        Assert.Equal(put.Revision, (await watch.EventsAsync(1))[0].Revision);

        var later = await client.PutAsync("/p/other", "3");
        await client.RequestProgressAsync();
        var progress = await watch.NextAsync();
        Assert.True(progress.IsProgressNotify);
        Assert.True(progress.Revision >= put.Revision);
    }

    [Fact]
    public async Task A_durable_subscription_continues_after_the_last_update_taken_and_ends_when_deleted()
    {
        var start = (await Client.PutAsync("/d/0", "0")).Revision + 1;
        var options = new WatchOptions { SubscriptionId = "orders", StartRevision = start };
        var puts = new List<long>();
        for (var i = 1; i <= 2; i++)
        {
            puts.Add((await Client.PutAsync("/d/" + i, "v")).Revision);
        }

        // The first consumer takes one update (ending the enumeration takes it) and stops.
        var taken = new List<long>();
        await using (var first = new UpdateReader(Client.WatchPrefixAsync("/d/", options)))
        {
            taken.AddRange((await first.NextAsync()).Events.Select(e => e.Revision));
        }

        for (var i = 3; i <= 5; i++)
        {
            puts.Add((await Client.PutAsync("/d/" + i, "v")).Revision);
        }

        // Another client continues right after, with nothing lost or repeated.
        await using (var second = new UpdateReader(new OrleansVigilClient(Cluster.Cluster.Client).WatchPrefixAsync("/d/", options)))
        {
            var rest = await second.EventsAsync(puts.Count - taken.Count);
            Assert.Equal(puts, taken.Concat(rest.Select(e => e.Revision)));

            // Asking for more takes the last one.
            await Client.PutAsync("/d/6", "v");
            await second.EventsAsync(1);
        }

        var status = await Cluster.Grains.GetGrain<IWatcherGrain>("orders").GetStatusAsync();
        Assert.True(status.Acknowledged > puts[^1]);

        await Client.DeleteSubscriptionAsync("orders");
        Assert.Equal(0, (await Cluster.Grains.GetGrain<IWatcherGrain>("orders").GetStatusAsync()).Acknowledged);

        // Opened again, it is new: from its start revision.
        await using var again = new UpdateReader(Client.WatchPrefixAsync("/d/", options));
        Assert.Equal(puts[0], (await again.NextAsync()).Events[0].Revision);
    }

    [Fact]
    public async Task An_update_left_untaken_comes_again_to_the_next_consumer_of_the_subscription()
    {
        var options = new WatchOptions { SubscriptionId = "untaken", CreatedNotify = true };
        var subscription = Cluster.Grains.GetGrain<IWatcherGrain>("untaken");
        long handled;
        long failed;
        await using (var first = new UpdateReader(Client.WatchPrefixAsync("/u/", options)))
        {
            Assert.True((await first.NextAsync()).IsCreated);
            handled = (await Client.PutAsync("/u/1", "v")).Revision;
            Assert.Equal(handled, Assert.Single((await first.NextAsync()).Events).Revision);
            failed = (await Client.PutAsync("/u/2", "v")).Revision;
            var update = await first.NextAsync();
            Assert.Equal(failed, Assert.Single(update.Events).Revision);

            // The consumer could not handle it and stops: ending the enumeration leaves it.
            update.LeaveUntaken();
        }

        var position = (await subscription.GetStatusAsync()).Acknowledged;
        Assert.InRange(position, handled, failed - 1);

        // The next consumer gets it first; one that ends as usual takes what it holds.
        var later = (await Client.PutAsync("/u/3", "v")).Revision;
        await using (var second = new UpdateReader(new OrleansVigilClient(Cluster.Cluster.Client).WatchPrefixAsync("/u/", options)))
        {
            Assert.True((await second.NextAsync()).IsCreated);
            Assert.Equal([failed, later], (await second.EventsAsync(2)).Select(e => e.Revision));
        }

        Assert.True((await subscription.GetStatusAsync()).Acknowledged >= later);
    }

    [Fact]
    public async Task A_consumer_that_never_reads_parks_its_subscription_and_the_others_are_unaffected()
    {
        var slowClient = new OrleansVigilClient(Cluster.Cluster.Client) { WatchBufferBatches = 2 };
        var client = Client;
        await using var stalled = new UpdateReader(slowClient.WatchPrefixAsync("/s/", new WatchOptions { CreatedNotify = true, SubscriptionId = "stalled" }));
        await using var reader = new UpdateReader(client.WatchPrefixAsync("/s/", new WatchOptions { CreatedNotify = true }));
        Assert.True((await stalled.NextAsync()).IsCreated);
        Assert.True((await reader.NextAsync()).IsCreated);

        // Puts one at a time, while the other watch reads each as it comes.
        var revisions = new List<long>();
        for (var i = 0; i < 40; i++)
        {
            revisions.Add((await client.PutAsync("/s/" + i, "v")).Revision);
            Assert.Equal(revisions[^1], (await reader.EventsAsync(1, TimeSpan.FromSeconds(10)))[0].Revision);
        }

        var parked = await WaitForAsync(async () => (await Cluster.Grains.GetGrain<IWatcherGrain>("stalled").GetStatusAsync()).State == WatcherState.Parked);
        Assert.True(parked, "the stalled subscription did not park");
        Assert.Equal(0, Cluster.Node().Watches.Counts.Victims);
        Assert.Equal(1, Cluster.Node().Watches.Counts.Synced);

        // Once it reads, it gets everything, in order, from history.
        Assert.Equal(revisions, (await stalled.EventsAsync(revisions.Count)).Select(e => e.Revision));
    }

    [Fact]
    public async Task The_informer_relists_after_a_compaction_of_the_history_it_needs()
    {
        var client = Client;
        await client.PutAsync("/svc/a", "1");
        await using var informer = client.ListAndWatchAsync("/svc/").GetAsyncEnumerator();
        Assert.True(await informer.MoveNextAsync());
        Assert.Equal(["/svc/a"], informer.Current.KeyValues.Select(kv => kv.KeyString));

        await client.PutAsync("/svc/b", "2");
        var c = await client.PutAsync("/svc/c", "3");
        await client.CompactAsync(c.Revision, physical: true);

        Assert.True(await informer.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(informer.Current.IsSnapshot);
        Assert.Equal(["/svc/a", "/svc/b", "/svc/c"], informer.Current.KeyValues.Select(kv => kv.KeyString));

        var d = await client.PutAsync("/svc/d", "4");
        Assert.True(await informer.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.False(informer.Current.IsSnapshot);
        Assert.Equal([d.Revision], informer.Current.Events.Select(e => e.Revision));
    }

    private static async Task<bool> WaitForAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(100);
        }

        return false;
    }
}
